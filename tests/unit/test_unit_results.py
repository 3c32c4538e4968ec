"""kit.model.results: rows become DataFrames with the run envelope, and save/load round-trips."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from results_factory import failed_row, image_row, results, run_info, trials

from kit.errors import ResultsError
from kit.model.results import Results
from kit.model.rows import SCHEMA_VERSION, ImageResult, TrialResult
from kit.model.saved import load_results
from kit.views.images.text import facts as stable_facts

ENVELOPE = {
    "run_id": "20261127T230000Z-abc123",
    "kit_version": "0.1.0",
    "engine_version": "20.10.24+dfsg1",
    "storage_driver": "overlay2",
    "profile": "local",
    "timestamp_utc": "2026-11-27T23:00:00+00:00",
}
CONTRACT = [
    "app",
    "variant",
    "status",
    "error",
    "image_id",
    "size_bytes",
    "layers",
    "build_cold_s",
    "build_warm_s",
    "start_median_s",
]


def sample() -> Results:
    return results(
        [
            image_row(
                "slim",
                size_bytes=306_000_000,
                layers=6,
                start_n=3,
                start_median_s=0.31,
                start_iqr_s=0.02,
                start_min_s=0.3,
                start_max_s=0.35,
            ),
            image_row("multistage", stages=3, size_bytes=175_443_431, layers=5),
            failed_row("broken"),
        ],
        [*trials("slim", [0.5, 0.31, 0.3, 0.35], warmups=1), *trials("multistage", [None])],
    )


def test_images_frame_carries_envelope_on_every_row() -> None:
    frame = sample().images
    assert len(frame) == 3
    for column, value in ENVELOPE.items():
        assert frame[column].tolist() == [value] * 3, column
    assert frame["containerd_store"].tolist() == [False] * 3
    assert frame["schema_version"].tolist() == [SCHEMA_VERSION] * 3
    assert frame["variant"].tolist() == ["slim", "multistage", "broken"]
    assert frame["size_bytes"].tolist()[:2] == [306_000_000, 175_443_431]


def test_trials_frame_carries_envelope_on_every_row() -> None:
    frame = sample().trials
    assert len(frame) == 5
    for column, value in ENVELOPE.items():
        assert frame[column].tolist() == [value] * 5, column
    assert frame["warmup"].tolist() == [True, False, False, False, False]
    assert frame["total_s"].tolist()[:4] == [0.5, 0.31, 0.3, 0.35]
    assert list(frame.columns[:3]) == ["app", "variant", "status"]


def test_contract_columns_exist() -> None:
    frame = sample().images
    missing = [c for c in CONTRACT if c not in frame.columns]
    assert missing == []
    assert list(frame.columns[:3]) == ["app", "variant", "status"]
    broken = frame[frame["variant"] == "broken"].iloc[0]
    assert broken["status"] == "failed"
    assert broken["error"] == "build failed: RUN exit 3"


def test_empty_results_still_have_columns() -> None:
    empty = results([])
    assert len(empty.images) == 0
    assert set(CONTRACT) | set(ENVELOPE) <= set(empty.images.columns)
    assert {"trial", "warmup", "total_s", *ENVELOPE} <= set(empty.trials.columns)


def test_ok_and_failed_partition() -> None:
    got = sample()
    assert [r.variant for r in got.ok] == ["slim", "multistage"]
    assert [r.variant for r in got.failed] == ["broken"]


def test_save_load_round_trip(tmp_path: Path) -> None:
    original = sample()
    out = original.save(tmp_path / "run")
    assert out == tmp_path / "run"
    assert sorted(p.name for p in out.iterdir()) == SAVED_FILES

    loaded = load_results(out)
    assert loaded.run == original.run
    assert (loaded.app, loaded.title) == ("tiny", "A tiny app")
    assert loaded.image_rows == original.image_rows
    assert loaded.trial_rows == original.trial_rows
    assert loaded == original
    assert all(type(r) is ImageResult for r in loaded.image_rows)
    assert all(type(r) is TrialResult for r in loaded.trial_rows)
    # Missing values come back as None, not NaN.
    broken = loaded.image_rows[2]
    assert broken.size_bytes is None
    assert broken.image_id is None
    assert broken.log_tail == "Step 2/2 : RUN exit 3\nThe command returned a non-zero code: 3"


def test_round_trip_without_trials_or_failures(tmp_path: Path) -> None:
    original = results([image_row("only", size_bytes=42, layers=1)])
    loaded = load_results(original.save(tmp_path))
    assert loaded == original
    assert loaded.trial_rows == ()
    assert type(loaded.image_rows[0].layers) is int


def test_round_trip_keeps_int_fields_int(tmp_path: Path) -> None:
    original = sample()
    loaded = load_results(original.save(tmp_path))
    for before, after in zip(original.image_rows, loaded.image_rows, strict=True):
        for field in dataclasses.fields(ImageResult):
            a, b = getattr(before, field.name), getattr(after, field.name)
            assert type(a) is type(b), (field.name, a, b)
    assert stable_facts(loaded) == stable_facts(original)


def test_save_overwrites_atomically(tmp_path: Path) -> None:
    sample().save(tmp_path)
    results([image_row("second")]).save(tmp_path)
    assert [r.variant for r in load_results(tmp_path).image_rows] == ["second"]
    assert sorted(p.name for p in tmp_path.iterdir()) == SAVED_FILES


def test_run_json_is_readable(tmp_path: Path) -> None:
    sample().save(tmp_path)
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["app"] == "tiny"
    assert meta["title"] == "A tiny app"
    assert meta["run"] == dataclasses.asdict(run_info())


def test_load_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ResultsError) as info:
        load_results(tmp_path / "never-saved")
    assert info.value.message.startswith("cannot read results: ")
    assert info.value.file == str(tmp_path / "never-saved")


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda d: (d / "run.json").write_text("{not json"), "Expecting property name"),
        (lambda d: (d / "images.parquet").write_bytes(b"PAR1 garbage"), "cannot read results"),
        (lambda d: (d / "trials.parquet").unlink(), "trials.parquet"),
        (lambda d: (d / "run.json").write_text('{"app": "tiny", "title": "t"}'), "'run'"),
        (
            lambda d: (d / "run.json").write_text('{"app": "a", "title": "t", "run": {"x": 1}}'),
            "missing",
        ),
    ],
)
def test_load_corrupt_directory(
    tmp_path: Path, damage: Callable[[Path], object], fragment: str
) -> None:
    sample().save(tmp_path)
    damage(tmp_path)
    with pytest.raises(ResultsError) as info:
        load_results(tmp_path)
    assert fragment in info.value.message
    assert info.value.file == str(tmp_path)


def test_load_run_json_without_app_is_results_error(tmp_path: Path) -> None:
    original = sample()
    original.save(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"run": dataclasses.asdict(original.run)}))
    with pytest.raises(ResultsError):
        load_results(tmp_path)


SAVED_FILES = sorted(
    [
        "capacity.parquet",
        "distribution.parquet",
        "files.parquet",
        "floor.parquet",
        "packages.parquet",
        "rebuild.parquet",
        "images.parquet",
        "layers.parquet",
        "lint.parquet",
        "lint_status.parquet",
        "rule_bytes.parquet",
        "run.json",
        "stages.parquet",
        "trials.parquet",
        "wasted.parquet",
    ]
)


def test_results_without_optional_tables_still_load(tmp_path: Path) -> None:
    """A directory written before the lint tables existed loads, with those tables empty."""
    original = results([image_row("only")])
    out = original.save(tmp_path / "old")
    (out / "lint.parquet").unlink()
    (out / "lint_status.parquet").unlink()
    loaded = load_results(out)
    assert loaded.image_rows == original.image_rows
    assert loaded.lint_rows == ()
    assert loaded.lint_statuses == ()


def test_missing_required_table_is_a_results_error(tmp_path: Path) -> None:
    out = results([image_row("only")]).save(tmp_path / "broken")
    (out / "trials.parquet").unlink()
    with pytest.raises(ResultsError, match=r"trials\.parquet"):
        load_results(out)
