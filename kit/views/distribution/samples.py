"""A run's distribution rows as the views need them: samples per variant and mode, medians,
steps re-run, why something was not measured, the fit of transfer time against size, and rankings
that do not flip on near-equal values.
"""

from __future__ import annotations

import math
import statistics

from kit.model.results import Results
from kit.model.rows import ImageResult, RebuildRow
from kit.util.stats import LineFit, fit_line
from kit.util.units import MB

#: A line through fewer distinct sizes is a comparison of two groups, not a trend.
MIN_SIZES = 3


def by_compressed(results: Results) -> list[ImageResult]:
    """Ok variants with a compressed size, smallest first: the x axis of every transfer view."""
    known = (r for r in results.ok if r.compressed_bytes is not None)
    return sorted(known, key=lambda r: (r.compressed_bytes or 0, r.variant))


BASE, FRESH = "base-present", "fresh-host"


def samples(
    results: Results, variant: str, mode: str, field: str, scenario: str = BASE
) -> list[float]:
    """One number per ok trial of ``scenario``; ``field``: push_s, pull_s, pushed_bytes,
    pulled_bytes, deploy_s (fresh-host only)."""
    key = (variant, mode, "ok", scenario)
    found = (
        getattr(d, field)
        for d in results.distribution_rows
        if (d.variant, d.mode, d.status, d.scenario) == key
    )
    return [float(v) for v in found if v is not None]


def median(
    results: Results, variant: str, mode: str, field: str, scenario: str = BASE
) -> float | None:
    values = samples(results, variant, mode, field, scenario)
    return statistics.median(values) if values else None


def _rebuilds(results: Results, variant: str) -> list[RebuildRow]:
    return [r for r in results.rebuild_rows if r.variant == variant and r.status == "ok"]


def rebuild_samples(results: Results, variant: str) -> list[float]:
    return [r.rebuild_s for r in _rebuilds(results, variant) if r.rebuild_s is not None]


def rebuild_median(results: Results, variant: str) -> float | None:
    values = rebuild_samples(results, variant)
    return statistics.median(values) if values else None


def steps_range(results: Results, variant: str) -> tuple[int, int] | None:
    """Fewest and most steps re-run after the edit over the ok trials; None: none succeeded."""
    steps = [r.steps_rebuilt for r in _rebuilds(results, variant) if r.steps_rebuilt is not None]
    return (min(steps), max(steps)) if steps else None


def steps_rebuilt(results: Results, variant: str) -> str | None:
    """Steps re-run after the edit as text: ``3``, or ``3–4`` when the trials differed; None
    when no rebuild of the variant succeeded."""
    found = steps_range(results, variant)
    if found is None:
        return None
    return str(found[0]) if found[0] == found[1] else f"{found[0]}–{found[1]}"


def problems(results: Results, variant: str) -> str:
    """Why part of a variant was not measured: its build (which says it all), or its failed or
    skipped trials."""
    notes = [
        f"{r.status}: {r.error}"
        for r in results.image_rows
        if r.variant == variant and r.status != "ok"
    ]
    if notes:
        return "; ".join(notes)
    notes += sorted(
        {
            f"{d.mode if d.scenario == BASE else d.scenario} {d.status}: {d.error}"
            for d in results.distribution_rows
            if d.variant == variant and d.status != "ok"
        }
    )
    notes += sorted(
        {
            f"rebuild {r.status}: {r.error}"
            for r in results.rebuild_rows
            if r.variant == variant and r.status != "ok"
        }
    )
    return "; ".join(notes)


def transfer_fit(results: Results, field: str, scenario: str = BASE) -> tuple[LineFit | None, str]:
    """Cold ``field`` seconds of ``scenario`` against compressed size over every ok sample; the
    reason when there is no fit."""
    points = [
        (float(r.compressed_bytes or 0), y)
        for r in by_compressed(results)
        for y in samples(results, r.variant, "cold", field, scenario)
    ]
    sizes = len({x for x, _ in points})
    if sizes < MIN_SIZES:
        return None, f"needs cold samples of {MIN_SIZES} variants of different size, has {sizes}"
    xs, ys = zip(*points, strict=True)
    return fit_line(xs, ys), ""


def r2_text(fit: LineFit) -> str:
    return "n/a" if math.isnan(fit.r2) else f"{fit.r2:.2f}"


def fit_text(fit: LineFit) -> str:
    low, high = (MB * v for v in fit.slope_ci)
    # "#": keep trailing zeros, so the slope and its bounds read with the same precision.
    slope = f"{fit.slope * MB:+#.3g} s per compressed MB (95% CI {low:+#.3g} … {high:+#.3g})"
    return f"{slope}, r² {r2_text(fit)}, n={fit.n}"
