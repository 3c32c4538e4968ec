"""The payoffs folded into what a run reports: each variant's medians of its pushes, pulls,
fresh-host deploys and rebuilds (:func:`with_payoffs`), the registry's real gzip sizes over the
kit's estimates (:func:`with_pushed_sizes`), and whether a payoffs result holds every part asked
for (:func:`payoffs_complete`: what may be kept and reused). Measuring them is
:mod:`kit.pipeline.payoffs`.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import replace

from kit.model.results import Results
from kit.model.rows import ImageResult
from kit.pipeline.outcome import VariantOutcome
from kit.pipeline.payoffs import Payoffs


def with_pushed_sizes(
    outcomes: Sequence[VariantOutcome], rows: Sequence[ImageResult], sizes: Mapping[str, int]
) -> tuple[list[VariantOutcome], list[ImageResult]]:
    """Where this run pushed a layer, its gzip size is the one the registry recorded rather than
    the kit's estimate; an image's ``compressed_bytes`` too, once all its blobs were pushed."""
    if not sizes:
        return list(outcomes), list(rows)
    layers = {
        o.row.variant: tuple(
            replace(x, compressed_bytes=sizes.get(x.diff_id, x.compressed_bytes)) for x in o.layers
        )
        for o in outcomes
    }
    new_rows = []
    for row in rows:
        mine = layers.get(row.variant, ())
        known = [sizes.get(x.diff_id) for x in mine] + [sizes.get(str(row.image_id))]
        if mine and None not in known:
            row = replace(row, compressed_bytes=sum(k or 0 for k in known))
        new_rows.append(row)
    return [replace(o, layers=layers[o.row.variant]) for o in outcomes], new_rows


def _median(values: Sequence[float | int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def with_payoffs(rows: Sequence[ImageResult], payoffs: Payoffs) -> list[ImageResult]:
    """Each variant's medians: cold pushes and pulls (base-present), pulls and deploys onto a
    fresh host, rebuilds."""
    out = []
    for row in rows:
        mine = [d for d in payoffs.distribution if d.variant == row.variant and d.status == "ok"]
        cold = [d for d in mine if d.mode == "cold" and d.scenario == "base-present"]
        fresh = [d for d in mine if d.scenario == "fresh-host"]
        fresh_bytes = _median([d.pulled_bytes for d in fresh])
        again = [r for r in payoffs.rebuild if r.variant == row.variant and r.status == "ok"]
        pushed = _median([d.pushed_bytes for d in cold])
        steps = _median([r.steps_rebuilt for r in again])
        out.append(
            replace(
                row,
                push_median_s=_median([d.push_s for d in cold]),
                pull_median_s=_median([d.pull_s for d in cold]),
                pushed_bytes=None if pushed is None else int(pushed),
                fresh_pull_median_s=_median([d.pull_s for d in fresh]),
                fresh_pulled_bytes=None if fresh_bytes is None else int(fresh_bytes),
                deploy_median_s=_median([d.deploy_s for d in fresh]),
                rebuild_s=_median([r.rebuild_s for r in again]),
                rebuild_steps=None if steps is None else int(steps),
            )
        )
    return out


def payoffs_complete(
    payoffs: Payoffs | Results,
    asked: tuple[int, int, bool],
    rows: Sequence[ImageResult],
    *,
    fresh_host: bool = False,
) -> bool:
    """Every part asked for (distribution, rebuild, capacity; the fresh-host scenario) has rows,
    when any variant was built: an empty part is a failure, never a result to keep or reuse."""
    found = (
        (payoffs.distribution, payoffs.rebuild, payoffs.capacity)
        if isinstance(payoffs, Payoffs)
        else (payoffs.distribution_rows, payoffs.rebuild_rows, payoffs.capacity_rows)
    )
    built = any(r.status == "ok" and r.tag for r in rows)
    fresh = [d for d in found[0] if d.scenario == "fresh-host"]
    if built and fresh_host and not fresh:
        return False
    return not built or all(part for want, part in zip(asked, found, strict=True) if want)
