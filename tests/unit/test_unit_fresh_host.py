"""The fresh-host scenario from recorded rows: claims judged by the fitted slope per scenario,
the transfer rate and projections worked out by hand, table columns, the images medians, and
stored rows of schema 3 (no scenario) loading as base-present."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_unit_distribution_narration import CAPACITY, MB, SIZES, node, verdicts

from kit.cli.main import parser
from kit.errors import EngineGoneError, UsageError
from kit.measure.transfer import fresh_host as fresh_module
from kit.measure.transfer.fresh_host import disk_bytes
from kit.model.results import Results
from kit.model.rows import CapacityTableRow, DistributionRow, ImageResult
from kit.model.tables import blank_run, from_frame, normalise, to_frame
from kit.pipeline.options import Options
from kit.pipeline.payoffrows import with_payoffs
from kit.pipeline.payoffs import Payoffs
from kit.views.distribution import fresh as fresh_views
from kit.views.distribution import plot_fresh_host, projection, table
from kit.views.distribution.fresh import BASE_DEPLOY_CLAIM, DEPLOY_CLAIM, FRESH_PULL_CLAIM
from kit.views.distribution.hosts import capacity
from kit.views.distribution.text import PULL_CLAIM, facts, narrate

WOBBLE = (0.00, 0.04, -0.03)
OLD = Path("distribution/old.parquet")


def fresh_rows(*, pull_per_mb: float, deploy_extra: float = 0.8, trials: int = 3) -> list[Any]:
    """Fresh-host trials of every variant: the whole compressed image pulled."""
    rows = []
    for v, size in SIZES.items():
        for t in range(trials):
            pull = 0.3 + pull_per_mb * size + WOBBLE[t]
            rows.append(
                DistributionRow(
                    app="tiny",
                    variant=v,
                    trial=t,
                    mode="cold",
                    push_s=None,
                    pull_s=pull,
                    pushed_bytes=None,
                    pulled_bytes=int(size * MB),
                    status="ok",
                    error=None,
                    scenario="fresh-host",
                    deploy_s=pull + deploy_extra + WOBBLE[(t + 1) % 3],
                )
            )
    return rows


def with_fresh(*, base_deploy: float | None = None, **kw: Any) -> Results:
    """The node fixture plus fresh-host rows; ``base_deploy``: seconds from pull to ready added
    to each base-present cold pull as its deploy (None: not measured)."""
    base = node()
    rows = [
        dataclasses.replace(d, deploy_s=(d.pull_s or 0) + base_deploy)
        if base_deploy is not None and d.mode == "cold" and d.status == "ok"
        else d
        for d in base.distribution_rows
    ]
    return dataclasses.replace(base, distribution_rows=(*rows, *fresh_rows(**kw)))


def test_fresh_claims_hold_when_time_follows_size() -> None:
    results = with_fresh(pull_per_mb=0.02)
    found = verdicts(results)
    assert found[FRESH_PULL_CLAIM] == "holds"
    assert found[DEPLOY_CLAIM] == "holds"
    text = next(c.measured for c in fresh_views.fresh_claims(results))
    assert text.startswith("fresh-host: +0.0200 s per compressed MB")
    assert "n=15" in text


def test_fresh_claims_within_noise_when_flat_and_judged_apart_from_base_present() -> None:
    results = with_fresh(pull_per_mb=0.0)
    found = verdicts(results)
    assert found[FRESH_PULL_CLAIM] == "not shown (within noise)"
    assert found[DEPLOY_CLAIM] == "not shown (within noise)"
    assert found[BASE_DEPLOY_CLAIM] == "not tested"  # no base-present deploy in these rows
    # The base-present pulls (0.008 s/MB in the node fixture) keep their own verdict.
    assert found[PULL_CLAIM] == "holds"


def test_base_present_deploy_is_judged_on_its_own_slope() -> None:
    # Base-present pulls grow 0.008 s/MB in the node fixture; a constant 0.5 s start keeps it.
    results = with_fresh(pull_per_mb=0.0, base_deploy=0.5)
    found = verdicts(results)
    assert found[BASE_DEPLOY_CLAIM] == "holds"
    assert found[DEPLOY_CLAIM] == "not shown (within noise)"
    text = next(
        c.measured for c in fresh_views.fresh_claims(results) if c.claim == BASE_DEPLOY_CLAIM
    )
    assert text.startswith("base-present: +0.00800 s per compressed MB")
    right = plot_fresh_host(results).axes[1]
    labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert any(t.startswith("base-present (n=15)") for t in labels)
    assert "deploy cold (s)" in table(results).columns


def test_fresh_claims_not_tested_with_two_sizes() -> None:
    two = [r for r in fresh_rows(pull_per_mb=0.02) if r.variant in ("closure", "full")]
    base = node()
    results = dataclasses.replace(base, distribution_rows=base.distribution_rows + tuple(two))
    assert verdicts(results)[FRESH_PULL_CLAIM] == "not tested"


def test_projection_arithmetic_by_hand() -> None:
    # 12.5 MB = 100 Mbit: 1 s at 100 Mbit/s, 0.1 s at 1 Gbit/s.
    assert fresh_views.projected_s(12_500_000, 100e6) == pytest.approx(1.0)
    assert fresh_views.projected_s(12_500_000, 1e9) == pytest.approx(0.1)
    frame = projection(with_fresh(pull_per_mb=0.02))
    full = frame[frame["variant"] == "full"].iloc[0]
    # full: 400 MB pulled = 3200 Mbit → 32 s at 100 Mbit/s, 3.2 s at 1 Gbit/s.
    assert full["transfer at 100 Mbit/s (s, projected)"] == pytest.approx(32.0)
    assert full["transfer at 1 Gbit/s (s, projected)"] == pytest.approx(3.2)
    assert full["pull fresh (s, measured)"] == pytest.approx(0.3 + 0.02 * 400)
    assert list(frame["variant"]) == list(SIZES)  # smallest compressed first
    assert projection(node()).empty


def test_transfer_rate_is_bytes_over_seconds() -> None:
    results = with_fresh(pull_per_mb=0.02)
    # Σ bytes: 3 trials × 680.4 MB; Σ seconds: 3 × (5 × 0.3 + 0.02 × 680.4) + Σ WOBBLE × 5.
    seconds = 3 * (5 * 0.3 + 0.02 * 680.4) + 5 * sum(WOBBLE)
    assert fresh_views.transfer_rate(results) == pytest.approx(3 * 680.4 * MB / seconds)
    assert fresh_views.transfer_rate(node()) is None
    story = str(narrate(results))
    assert "MB/s" in story and "*Projection, not a measurement*" in story


def test_table_gains_fresh_columns_only_when_measured() -> None:
    assert not [c for c in table(node()).columns if "fresh" in c]
    frame = table(with_fresh(pull_per_mb=0.02))
    assert {"pull fresh (s)", "pulled fresh (MB)", "deploy fresh (s)"} <= set(frame.columns)
    closure = frame[frame["variant"] == "closure"].iloc[0]
    assert closure["pulled fresh (MB)"] == 30.0


def test_facts_name_scenarios_and_whole_pulls() -> None:
    text = facts(with_fresh(pull_per_mb=0.02))
    assert "distribution scenarios: base-present, fresh-host" in text
    assert "fresh-host deploy measured: closure yes, multistage yes" in text
    assert "pull moved the whole compressed image: closure yes" in text
    assert "scenarios" not in facts(node())


def test_images_medians_per_scenario() -> None:
    results = with_fresh(pull_per_mb=0.02)
    rows = [ImageResult(**{**dataclasses.asdict(r)}) for r in results.image_rows]
    payoffs = Payoffs(distribution=results.distribution_rows)
    out = {r.variant: r for r in with_payoffs(rows, payoffs)}
    slim = out["slim"]
    # Fresh pulls: 0.3 + 2.0 + (0, 0.04, -0.03) = 2.30, 2.34, 2.27 → median 2.30. Deploys add
    # 0.8 + (0.04, -0.03, 0): 3.14, 3.11, 3.07 → median 3.11.
    assert slim.fresh_pull_median_s == pytest.approx(2.3)
    assert slim.fresh_pulled_bytes == 100 * MB
    assert slim.deploy_median_s == pytest.approx(3.11)
    # Base-present medians are only the base-present rows' (the node fixture: 0.5 + 1.0 …).
    base = [
        d.pull_s
        for d in results.distribution_rows
        if d.variant == "slim" and d.scenario == "base-present" and d.mode == "cold"
    ]
    assert slim.pull_median_s == pytest.approx(sorted(base)[1])


def test_schema_3_rows_load_as_base_present() -> None:
    rows = tuple(r for r in node().distribution_rows)[:3]
    frame = to_frame(rows, DistributionRow, blank_run())
    assert {"scenario", "deploy_s"} <= set(frame.columns)
    old = frame.drop(columns=["scenario", "deploy_s"]).assign(schema_version=3)
    loaded = from_frame(normalise(old, DistributionRow, file=OLD), DistributionRow)
    assert [r.scenario for r in loaded] == ["base-present"] * 3
    assert all(r.deploy_s is None for r in loaded)
    cap = to_frame(CAPACITY, CapacityTableRow, blank_run())
    old_cap = cap.drop(columns=["fresh_layers_bytes", "fresh_data_root_bytes"])
    back = from_frame(normalise(old_cap, CapacityTableRow, file=OLD), CapacityTableRow)
    assert back == CAPACITY


def test_capacity_shows_the_measured_fill() -> None:
    filled = tuple(
        dataclasses.replace(c, fresh_layers_bytes=1_400 * MB, fresh_data_root_bytes=1_600 * MB)
        for c in CAPACITY
    )
    frame = capacity(dataclasses.replace(node(), capacity_rows=filled))
    labels = list(frame["variant"])
    assert "all 5 on a fresh host, measured: layers" in labels
    row = frame[frame["variant"] == "all 5 on a fresh host, measured: data root"].iloc[0]
    assert row["size_MB"] == 1600.0
    assert "fresh host" not in " ".join(capacity(node())["variant"])
    assert "Measured on a fresh host holding all 5 variants" in str(
        narrate(dataclasses.replace(node(), capacity_rows=filled))
    )


def test_plot_has_both_scenarios() -> None:
    fig = plot_fresh_host(with_fresh(pull_per_mb=0.02))
    left, right = fig.axes
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert any(t.startswith("base-present (n=15)") for t in labels)
    assert any(t.startswith("fresh-host (n=15)") for t in labels)
    right_labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert "base-present: not measured" in right_labels


def test_cli_and_options() -> None:
    args = parser().parse_args(["measure", "app", "--distribution", "2", "--fresh-host"])
    assert args.fresh_host is True and args.distribution == 2
    assert parser().parse_args(["measure", "app"]).fresh_host is False
    chosen = Options.of(distribution=2, fresh_host=True)
    assert json.loads(chosen.as_json(False))["fresh_host"] is True
    with pytest.raises(UsageError, match="distribution"):
        Options.of(fresh_host=True)
    with pytest.raises(UsageError, match="own registry"):
        Options.of(distribution=1, fresh_host=True, registry="http://127.0.0.1:5000")


def test_disk_bytes_agrees_with_du(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.bin").write_bytes(os.urandom(300_000))
    os.link(tmp_path / "a" / "one.bin", tmp_path / "twice.bin")  # counted once, as du does
    (tmp_path / "small.txt").write_text("x")
    (tmp_path / "link").symlink_to("a/one.bin")
    du = subprocess.run(
        ["du", "-s", "--block-size=1", str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert disk_bytes(tmp_path) == int(du.stdout.split()[0])


class _Images:
    def __init__(self, answers: bool) -> None:
        self.answers = answers

    def ids(self) -> set[str]:
        if not self.answers:
            raise EngineGoneError("the Docker engine stopped answering")
        return set()


@pytest.mark.parametrize("main_answers", [True, False])
def test_a_lost_engine_fails_the_rows_only_when_it_is_the_fresh_one(
    monkeypatch: pytest.MonkeyPatch, main_answers: bool
) -> None:
    def gone(*_: Any, **__: Any) -> None:
        raise EngineGoneError("the Docker engine stopped answering during pull")

    monkeypatch.setattr(fresh_module, "measure_fresh_host", gone)
    engine: Any = type("E", (), {"images": _Images(main_answers)})()
    images = [("slim", "kitexp/a:slim"), ("full", "kitexp/a:full")]
    if main_answers:  # the fresh engine died: one failed row per variant, the run goes on
        found = fresh_module.measure_fresh_or_fail(engine, images, 1, Any, Any)
        assert [(s.variant, s.status) for s in found.samples] == [
            ("slim", "failed"),
            ("full", "failed"),
        ]
    else:  # the main engine died: the run stops, as it does everywhere else
        with pytest.raises(EngineGoneError):
            fresh_module.measure_fresh_or_fail(engine, images, 1, Any, Any)
