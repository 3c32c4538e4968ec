"""Distribution views (line fit, claims, facts, tables, narration, figures) on hand-made results:
no engine, no registry."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from results_factory import failed_row, image_row, run_info

from kit.model.results import Results
from kit.model.rows import CapacityTableRow, DistributionRow, RebuildRow
from kit.util.stats import LineFit, fit_line, t_quantile_975, trend_verdict
from kit.util.units import fmt_s
from kit.views.distribution.figures import plot_push_pull, plot_pushed_bytes, plot_rebuild
from kit.views.distribution.fresh import BASE_DEPLOY_CLAIM, DEPLOY_CLAIM, FRESH_PULL_CLAIM
from kit.views.distribution.hosts import capacity as capacity_table
from kit.views.distribution.samples import steps_rebuilt, transfer_fit
from kit.views.distribution.text import (
    PULL_CLAIM,
    PUSH_CLAIM,
    REBUILD_CLAIM,
    STEPS_CLAIM,
    claim_list,
)
from kit.views.distribution.text import claims as distribution_claims
from kit.views.distribution.text import facts as distribution_facts
from kit.views.distribution.text import narrate as narrate_distribution
from kit.views.distribution.text import table as distribution_table
from kit.views.verdicts import ranking

MB = 1_000_000
#: Compressed sizes (MB): slim and copy-first hold the same files in a different layer order.
SIZES = {"closure": 30, "multistage": 50, "slim": 100, "copy-first": 100.4, "full": 400}
WOBBLE = (0.00, 0.03, -0.02)  # per-trial noise (s)


def transfer_rows(
    *, per_mb: float = 0.01, trials: int = 3, scale: float = 1.0, bytes_scale: float = 1.0
) -> list[DistributionRow]:
    """Cold trials of every variant; warm ones for all but closure, which shares no layer."""
    rows = []
    for v, size in SIZES.items():
        for t in range(trials):
            push = (0.5 + per_mb * size + WOBBLE[t % 3]) * scale
            pushed = int(size * MB * bytes_scale)
            rows.append(row(v, t, "cold", push, push * 0.8, pushed, pushed // 2))
            if v != "closure":
                rows.append(row(v, t, "warm", push / 2, push * 0.4, pushed // 10, pushed // 2))
    skip = row("closure", 0, "warm", None, None, None, None, "skipped")
    return [*rows, dataclasses.replace(skip, error="no other image shares a layer")]


def row(
    variant: str,
    trial: int,
    mode: str,
    push: float | None,
    pull: float | None,
    pushed: int | None,
    pulled: int | None,
    status: str = "ok",
) -> DistributionRow:
    return DistributionRow(
        app="tiny",
        variant=variant,
        trial=trial,
        mode=mode,
        push_s=push,
        pull_s=pull,
        pushed_bytes=pushed,
        pulled_bytes=pulled,
        status=status,
        error=None,
    )


def rebuilds(variant: str, seconds: list[float | None], steps: int = 3) -> list[RebuildRow]:
    return [
        RebuildRow(
            app="tiny",
            variant=variant,
            trial=t,
            edited_file="server.js",
            rebuild_s=s,
            steps_rebuilt=steps if s is not None else None,
            status="ok" if s is not None else "failed",
            error=None if s is not None else "build failed: npm ERR! network",
        )
        for t, s in enumerate(seconds)
    ]


def capacity(variant: str, size: int, shared: int, fit_shared: int | None) -> CapacityTableRow:
    return CapacityTableRow(
        app="tiny",
        variant=variant,
        size_bytes=size,
        shared_bytes=shared,
        unique_bytes=size - shared,
        fit_shared=fit_shared,
        fit_separate=10_000_000_000 // size,
        capacity_bytes=10_000_000_000,
        app_separate_bytes=2_000_000_000,
        app_together_bytes=1_500_000_000,
    )


CAPACITY = (
    capacity("closure", 80 * MB, 0, 125),
    capacity("multistage", 175 * MB, 173 * MB, 4913),
    capacity("slim", 306 * MB, 300 * MB, 1616),
    capacity("copy-first", 306 * MB, 300 * MB, 1617),
    capacity("full", 1_320 * MB, 1_310 * MB, 869),
)


def node(**fields: Any) -> Results:
    """node-server-like results: five variants, transfers, rebuilds, capacity; ``fields``
    replace any Results field, ``images`` the image rows."""
    images = [
        image_row(v, compressed_bytes=int(size * MB), size_bytes=int(size * 3 * MB))
        for v, size in SIZES.items()
    ]
    values: dict[str, Any] = {
        "run": run_info(),
        "app": "tiny",
        "title": "A tiny app",
        "image_rows": tuple(fields.pop("images", images)),
        "trial_rows": (),
        "distribution_rows": tuple(transfer_rows()),
        "rebuild_rows": tuple(
            rebuilds("slim", [2.0, 2.1, 1.9])
            + rebuilds("copy-first", [20.0, 21.5, 19.0], steps=5)
            + rebuilds("closure", [3.0, 3.2, 2.9], steps=4)
        ),
        "capacity_rows": CAPACITY,
    }
    values.update({k: tuple(v) for k, v in fields.items()})
    return Results(**values)


def verdicts(results: Results) -> dict[str, str]:
    return {c.claim: c.verdict for c in claim_list(results)}


def measured(results: Results, claim: str) -> str:
    return next(c.measured for c in claim_list(results) if c.claim == claim)


# --- the line fit ---------------------------------------------------------------------------


def test_fit_line_recovers_an_exact_line() -> None:
    fit = fit_line([1, 2, 3, 4], [3, 5, 7, 9])
    assert fit == LineFit(slope=2.0, intercept=1.0, r2=1.0, slope_se=0.0, n=4)
    assert fit.slope_ci == (2.0, 2.0)
    assert trend_verdict(fit) == "holds"


def test_fit_line_matches_numpy_least_squares_and_its_standard_error() -> None:
    x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    y = [1.1, 2.3, 2.8, 4.2, 4.9, 6.3]
    fit = fit_line(x, y)
    (slope, intercept), cov = np.polyfit(x, y, 1, cov=True)
    assert fit.slope == pytest.approx(slope)
    assert fit.intercept == pytest.approx(intercept)
    assert fit.slope_se == pytest.approx(math.sqrt(cov[0, 0]))
    assert fit.r2 == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2)
    low, high = fit.slope_ci
    assert (low + high) / 2 == pytest.approx(fit.slope)
    assert high - fit.slope == pytest.approx(t_quantile_975(4) * fit.slope_se)


@pytest.mark.parametrize(
    ("y", "verdict"),
    [
        ([1.0, 2.1, 2.9, 4.0, 5.1], "holds"),
        ([5.0, 4.1, 2.9, 2.0, 0.9], "contradicted"),
        ([1.0, 1.3, 0.8, 1.2, 0.9], "not shown (within noise)"),
    ],
)
def test_trend_verdict_reads_the_interval(y: list[float], verdict: str) -> None:
    assert trend_verdict(fit_line([1, 2, 3, 4, 5], y)) == verdict


def test_two_points_have_no_interval() -> None:
    # A line through two points always fits: its slope says nothing about noise.
    fit = fit_line([1, 2], [1, 5])
    assert fit.slope == 4.0 and math.isinf(fit.slope_se)
    assert fit.slope_ci == (-math.inf, math.inf)
    assert trend_verdict(fit) == "not shown (within noise)"


def test_flat_y_has_no_r2() -> None:
    fit = fit_line([1, 2, 3], [2, 2, 2])
    assert fit.slope == 0.0 and math.isnan(fit.r2)
    assert trend_verdict(fit) == "not shown (within noise)"


@pytest.mark.parametrize(("x", "y"), [([1], [1]), ([2, 2, 2], [1, 2, 3]), ([1, 2], [1])])
def test_fit_line_rejects_what_has_no_slope(x: list[float], y: list[float]) -> None:
    with pytest.raises(ValueError):
        fit_line(x, y)


@pytest.mark.parametrize(
    ("df", "t"), [(1, 12.7062), (4, 2.7764), (30, 2.0423), (31, 2.0395), (60, 2.0003)]
)
def test_t_quantile(df: int, t: float) -> None:
    assert t_quantile_975(df) == pytest.approx(t, abs=2e-4)


def test_t_quantile_tends_to_the_normal_one() -> None:
    assert t_quantile_975(10**6) == pytest.approx(1.96, abs=1e-3)
    with pytest.raises(ValueError):
        t_quantile_975(0)


# --- claims ---------------------------------------------------------------------------------


def test_transfer_claims_hold_when_time_rises_with_size() -> None:
    results = node()
    assert verdicts(results)[PUSH_CLAIM] == "holds"
    assert verdicts(results)[PULL_CLAIM] == "holds"
    # 15 cold samples (5 variants × 3); warm samples are not in the fit.
    assert "+0.0100 s per compressed MB" in measured(results, PUSH_CLAIM)
    assert "n=15" in measured(results, PUSH_CLAIM)
    assert all(not c.stable for c in claim_list(results) if c.claim in (PUSH_CLAIM, PULL_CLAIM))


def test_transfer_claims_are_contradicted_by_a_falling_slope() -> None:
    results = node(distribution_rows=transfer_rows(per_mb=-0.001))
    assert verdicts(results)[PUSH_CLAIM] == "contradicted"


def test_transfer_claims_within_noise_when_size_does_not_matter() -> None:
    results = node(distribution_rows=transfer_rows(per_mb=0.0))
    assert verdicts(results)[PUSH_CLAIM] == "not shown (within noise)"


def test_transfer_claims_need_three_sizes_not_two_points() -> None:
    two = [d for d in transfer_rows() if d.variant in ("slim", "full")]
    results = node(distribution_rows=two)
    assert verdicts(results)[PUSH_CLAIM] == "not tested"
    assert "has 2" in measured(results, PUSH_CLAIM)
    assert transfer_fit(results, "push_s")[0] is None


def test_rebuild_claims_hold_when_copy_first_reinstalls() -> None:
    results = node()
    assert verdicts(results)[REBUILD_CLAIM] == "holds"
    assert verdicts(results)[STEPS_CLAIM] == "holds"
    text = measured(results, REBUILD_CLAIM)
    assert text.startswith("copy-first − slim: +18.00 s median rebuild")
    assert "steps re-run: copy-first 5, slim 3" in text
    stable = {c.claim: c.stable for c in claim_list(results)}
    assert stable == {
        PUSH_CLAIM: False,
        PULL_CLAIM: False,
        FRESH_PULL_CLAIM: False,
        DEPLOY_CLAIM: False,
        BASE_DEPLOY_CLAIM: False,
        REBUILD_CLAIM: False,
        STEPS_CLAIM: True,
    }
    # No fresh host on this run: its claims say so rather than vanish.
    assert verdicts(results)[FRESH_PULL_CLAIM] == "not measured"


def test_rebuild_claim_within_noise_and_steps_equal() -> None:
    rows = rebuilds("slim", [2.0, 2.5, 1.8]) + rebuilds("copy-first", [2.1, 1.9, 2.4])
    results = node(rebuild_rows=rows)
    assert verdicts(results)[REBUILD_CLAIM] == "not shown (within noise)"
    assert verdicts(results)[STEPS_CLAIM] == "does not hold"


def test_rebuild_claim_with_one_trial_each_is_not_tested() -> None:
    results = node(rebuild_rows=rebuilds("slim", [2.0]) + rebuilds("copy-first", [20.0], 5))
    assert verdicts(results)[REBUILD_CLAIM] == "not tested"
    assert verdicts(results)[STEPS_CLAIM] == "holds"  # steps are counted, not timed


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"images": [image_row("slim", compressed_bytes=100 * MB)]}, "no `copy-first` variant"),
        ({"rebuild_rows": rebuilds("slim", [2.0, 2.1])}, "no rebuild trials of `copy-first`"),
    ],
)
def test_rebuild_claims_say_why_they_were_not_measured(change: dict[str, Any], reason: str) -> None:
    # What the app or the parameters left out is "not measured", never a failure.
    results = node(**change)
    for claim in (REBUILD_CLAIM, STEPS_CLAIM):
        assert verdicts(results)[claim] == "not measured"
        assert reason in measured(results, claim)


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        (
            {"images": [image_row("slim"), failed_row("copy-first")]},
            "build of copy-first: BuildError: build failed: RUN exit 3",
        ),
        (
            {"rebuild_rows": rebuilds("slim", [2.0]) + rebuilds("copy-first", [None, None])},
            "rebuild of copy-first: build failed: npm ERR! network",
        ),
    ],
)
def test_rebuild_claims_whose_measurement_failed_say_failed(
    change: dict[str, Any], cause: str
) -> None:
    results = node(**change)
    table = distribution_claims(results).set_index("claim")
    for claim in (REBUILD_CLAIM, STEPS_CLAIM):
        assert verdicts(results)[claim] == "failed"
        assert measured(results, claim) == cause
        assert table.loc[claim, "verdict"] == f"failed: {cause}"


def test_claims_table_columns() -> None:
    table = distribution_claims(node())
    assert list(table.columns) == ["claim", "measured", "verdict", "stable"]
    assert list(table["claim"]) == [
        PUSH_CLAIM,
        PULL_CLAIM,
        FRESH_PULL_CLAIM,
        DEPLOY_CLAIM,
        BASE_DEPLOY_CLAIM,
        REBUILD_CLAIM,
        STEPS_CLAIM,
    ]


# --- stable facts ---------------------------------------------------------------------------


def test_facts_are_rankings_and_steps() -> None:
    assert distribution_facts(node()).splitlines() == [
        "variants: 5 ok, 0 failed",
        "compressed size ranking (smallest first): closure < multistage < copy-first ≈ slim < full",
        "warm push (a sibling's layers already in the registry): closure skipped, "
        "copy-first fewer bytes than cold, full fewer bytes than cold, "
        "multistage fewer bytes than cold, slim fewer bytes than cold",
        "steps re-run after a one-line source edit: closure=4, copy-first=5, slim=3",
        "most different images in 10 GB, layers shared: "
        "multistage > copy-first ≈ slim > full > closure",
        "the app's variants take less space sharing layers: yes",
        f"claim: {STEPS_CLAIM}: holds",
    ]


def test_facts_do_not_move_with_timings_or_bytes() -> None:
    first = node()
    # Slower everything, a slope within noise, bytes 0.4 % off: no fact may change.
    rerun = node(
        distribution_rows=transfer_rows(per_mb=0.0, scale=3.0, bytes_scale=1.004),
        rebuild_rows=rebuilds("slim", [9.0, 9.1, 8.9])
        + rebuilds("copy-first", [9.5, 8.0, 9.9], steps=5)
        + rebuilds("closure", [1.0, 1.0, 1.0], steps=4),
        images=[image_row(v, compressed_bytes=int(size * MB * 1.003)) for v, size in SIZES.items()],
    )
    assert verdicts(first) != verdicts(rerun)  # the timing verdicts did change...
    assert distribution_facts(first) == distribution_facts(rerun)  # ...the facts did not


def test_facts_name_failures_without_their_messages() -> None:
    rows = [
        *transfer_rows(),
        row("full", 0, "warm", None, None, None, None, "failed"),
    ]
    images = [image_row(v, compressed_bytes=int(s * MB)) for v, s in SIZES.items()]
    facts = distribution_facts(node(distribution_rows=rows, images=[*images, failed_row("x")]))
    assert "variants: 5 ok, 1 failed" in facts
    assert "full failed" in facts
    assert "RUN exit" not in facts


def test_ranking_groups_near_ties() -> None:
    assert ranking({"a": 100.0, "b": 100.5, "c": 50.0}) == "c < a ≈ b"
    assert ranking({"a": 1.0, "b": math.inf, "c": math.inf}, descending=True) == "b ≈ c > a"
    assert ranking({}) == ""


# --- tables, narration, figures -------------------------------------------------------------


def test_distribution_table_one_row_per_variant_failed_last() -> None:
    images = [image_row(v, compressed_bytes=int(s * MB)) for v, s in SIZES.items()]
    table = distribution_table(node(images=[failed_row("broken"), *images]))
    assert list(table["variant"]) == [
        "closure",
        "multistage",
        "slim",
        "copy-first",
        "full",
        "broken",
    ]
    full = table.set_index("variant").loc["full"]
    assert full["push cold (s)"] == pytest.approx(4.5)  # 0.5 + 0.01 × 400, median of the wobble
    assert full["pushed cold (MB)"] == 400.0 and full["pushed warm (MB)"] == 40.0
    assert (full["n cold"], full["n warm"]) == (3, 3)
    by_variant = table.set_index("variant")["not measured"]
    assert by_variant["closure"] == "warm skipped: no other image shares a layer"
    assert by_variant["broken"] == "failed: build failed: RUN exit 3"
    assert pd.isna(by_variant["slim"])
    assert table.set_index("variant").loc["copy-first", "steps rebuilt"] == "5"


def test_steps_that_differ_between_trials_show_as_a_range() -> None:
    rows = rebuilds("slim", [2.0], steps=3) + rebuilds("slim", [2.0], steps=4)
    assert steps_rebuilt(node(rebuild_rows=rows), "slim") == "3–4"


def test_capacity_table_ends_with_the_app_totals() -> None:
    rows = [*CAPACITY[:4], dataclasses.replace(CAPACITY[4], fit_shared=None)]
    table = capacity_table(node(capacity_rows=rows))
    assert list(table["variant"])[-2:] == ["all 5, stored separately", "all 5, sharing layers"]
    assert list(table["size_MB"])[-2:] == [2000.0, 1500.0]
    assert list(table["fit in 10 GB, layers shared"])[:5] == [125, 4913, 1617, 1616, "unbounded"]
    assert capacity_table(node(capacity_rows=[])).empty
    counts = capacity_table(node())["fit in 10 GB, nothing shared"]
    assert str(counts.dtype) == "Int64" and list(counts[:2]) == [125, 57]
    assert pd.isna(counts.iloc[-1])


def test_narration_takes_its_numbers_from_the_results() -> None:
    text = narrate_distribution(node())
    assert f"full {fmt_s(4.5)}" in text  # the median cold push
    assert "full 40 MB instead of 400 MB" in text  # warm vs cold bytes pushed
    assert "copy-first 20.00 s (5 steps re-run)" in text
    assert "multistage 4913 vs 57" in text
    assert "take 1.5 GB on the engine sharing layers, 2 GB stored separately" in text
    assert f"*{PUSH_CLAIM[0].upper()}{PUSH_CLAIM[1:]}*: **holds**" in text
    assert "**closure** (warm skipped: no other image shares a layer)" in text


def test_narration_without_any_distribution_measurement() -> None:
    results = node(distribution_rows=[], rebuild_rows=[], capacity_rows=[])
    text = narrate_distribution(results)
    assert text.startswith("No push or pull was measured on this run.")
    assert "no rebuild trials of `slim`" in text
    assert distribution_table(results)["push cold (s)"].isna().all()
    assert distribution_facts(results).splitlines()[-1] == f"claim: {STEPS_CLAIM}: not measured"


def test_figures_have_labelled_axes() -> None:
    for fig in (plot_push_pull(node()), plot_pushed_bytes(node()), plot_rebuild(node())):
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        plt.close(fig)


def test_push_pull_figure_shows_the_fit_and_warm_samples() -> None:
    fig = plot_push_pull(node())
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels[0] == "cold (n=15)" and labels[1] == "warm (n=12), not in the fit"
    assert labels[2].startswith("fit: 0.0100 s/MB, r² 1.00")
    plt.close(fig)


def test_figures_survive_missing_and_failed_measurements() -> None:
    empty = node(distribution_rows=[], rebuild_rows=[])
    fig = plot_push_pull(empty)
    assert "no fit" in fig.axes[0].get_title()
    plt.close(fig)
    failed = rebuilds("slim", [2.0, 2.2]) + rebuilds("copy-first", [None])
    fig = plot_rebuild(node(rebuild_rows=failed))
    assert [t.get_text() for t in fig.axes[0].texts] == ["3 steps\nre-run", "failed"]
    plt.close(fig)
    fig = plot_pushed_bytes(node())
    assert "skipped" in [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)
