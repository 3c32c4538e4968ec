"""The cache on a real engine: builds are counted, not timed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from kit.engine import Engine
from kit.model.results import Results
from kit.model.store import Store
from kit.pipeline import floor
from kit.pipeline.experiment import run_experiment


@pytest.fixture()
def builds(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tag of every build the engine is asked for, in order."""
    seen: list[str] = []
    real = engine.builds.build

    def counted(*args: Any, **kwargs: Any) -> Any:
        seen.append(str(kwargs["tag"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.builds, "build", counted)
    return seen


def test_rerun_builds_nothing_and_an_edit_rebuilds_exactly_that_variant(
    engine: Engine,
    builds: list[str],
    check: Any,
    no_leaks: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = tmp_path / "eng-good"
    shutil.copytree(check.app_dir("eng-good"), app)
    # As in the bundled apps: the variants' definitions are not part of each other's context.
    (app / ".dockerignore").write_text("Dockerfile.*\nexperiment.toml\n")
    store = Store(tmp_path / "store")

    traces: list[str] = []
    real_floor = floor.measure_floor

    def traced(*args: Any, **kwargs: Any) -> Any:
        traces.append(str(args[1]))  # the traced image
        return real_floor(*args, **kwargs)

    monkeypatch.setattr(floor, "measure_floor", traced)

    def measure(app: Path, **kwargs: Any) -> Results:
        return run_experiment(
            app, profile="local", trials=2, warmups=1, engine=engine, progress=False, **kwargs
        )

    first = measure(app, store=store)
    assert {r.variant for r in first.ok} == {"tiny", "layered"} and not first.reused
    assert len(builds) == 4  # cold + warm per variant
    builds.clear()

    again = measure(app, store=store)
    assert builds == []
    assert {r.variant for r in again.reused} == {"tiny", "layered"}
    for old, new in zip(first.image_rows, again.image_rows, strict=True):
        assert new.cached_from == first.run.run_id and new.size_bytes == old.size_bytes
        assert new.start_median_s == old.start_median_s  # the same samples, not new ones
    assert len(again.trial_rows) == len(first.trial_rows)
    # The floor was traced once; the rerun reuses it (same inputs, same floor).
    assert first.floor_rows and again.floor_rows == first.floor_rows
    assert [r.x_floor for r in again.image_rows] == [r.x_floor for r in first.image_rows]
    assert len(traces) == 1

    dockerfile = app / "Dockerfile.layered"
    dockerfile.write_text(dockerfile.read_text().replace("echo hello", "echo hello again"))
    edited = measure(app, store=store)
    assert builds == ["kitexp/eng-good:layered-local"] * 2
    assert {r.variant for r in edited.reused} == {"tiny"}
    builds.clear()

    forced = measure(app, store=store, force=True)
    assert len(builds) == 4 and not forced.reused
    # Every run is in the store, reused rows included, each with the run that measured it.
    images = store.table("images")
    assert len(set(images["run_id"])) == 4
    assert set(images["cached_from"].dropna()) == {first.run.run_id}
    builds.clear()

    # The builder is part of the key: the other builder measures every variant anew.
    other = "classic" if first.run.builder == "buildkit" else "buildkit"
    switched = measure(app, store=store, builder=other)
    assert switched.run.builder == other and not switched.reused
    assert len(builds) == 4
