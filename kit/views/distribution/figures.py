"""Figures of distribution: push and pull time against compressed size, the bytes a push sends
cold and warm, pull and deploy time on a fresh host beside the base-present case, and the rebuild
after a source edit. Labelled axes with units, and a title."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from kit.model.results import Results
from kit.util.units import MB
from kit.views.distribution.samples import (
    BASE,
    FRESH,
    by_compressed,
    median,
    r2_text,
    rebuild_median,
    rebuild_samples,
    samples,
    steps_rebuilt,
    transfer_fit,
)

COLD, WARM, FIT = "#4c72b0", "#dd8452", "#c44e52"


def _transfer_axis(ax: Axes, results: Results, field: str, verb: str) -> None:
    ranked = by_compressed(results)
    for mode, color, face in (("cold", COLD, COLD), ("warm", WARM, "none")):
        xs, ys = [], []
        for r in ranked:
            found = samples(results, r.variant, mode, field)
            xs += [(r.compressed_bytes or 0) / MB] * len(found)
            ys += found
        if ys:
            # Warm samples are hollow and not fitted: part of their image was already there.
            label = f"{mode} (n={len(ys)})" + (", not in the fit" if mode == "warm" else "")
            ax.scatter(xs, ys, s=22, color=color, facecolors=face, label=label, zorder=3)
    for i, r in enumerate(ranked):
        top = max(samples(results, r.variant, "cold", field), default=None)
        if top is not None:
            # Neighbours in size (slim and copy-first) would print over each other: stagger.
            lift = 4 if i % 2 == 0 else 14
            x = (r.compressed_bytes or 0) / MB
            ax.annotate(r.variant, (x, top), (2, lift), textcoords="offset points", fontsize=7)
    fit, reason = transfer_fit(results, field)
    if fit is not None:
        sizes = [(r.compressed_bytes or 0) / MB for r in ranked]
        xs = [min(sizes), max(sizes)]
        slope_mb = fit.slope * MB
        label = f"fit: {slope_mb:#.3g} s/MB, r² {r2_text(fit)}"
        ax.plot(xs, [slope_mb * x + fit.intercept for x in xs], color=FIT, label=label)
        ax.set_title(f"{verb.capitalize()} time against compressed size")
    else:
        ax.set_title(f"{verb.capitalize()}: no fit ({reason})", fontsize=8)
    ax.set_xlabel("compressed size (MB, gzip of the layers)")
    ax.set_ylabel(f"{verb} time (s)")
    ax.set_ylim(bottom=0)
    if ranked:
        # Room on the right for the largest variant's label.
        ax.set_xlim(0, max((r.compressed_bytes or 0) / MB for r in ranked) * 1.1)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="best")


def plot_push_pull(results: Results) -> Figure:
    """Every push and pull as a point at its image's compressed size, cold filled and warm
    hollow, with the line fitted through the cold ones."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    _transfer_axis(axes[0], results, "push_s", "push")
    _transfer_axis(axes[1], results, "pull_s", "pull")
    return fig


def plot_pushed_bytes(results: Results) -> Figure:
    """Median bytes a push sent per variant: to an empty registry (cold) and to one already
    holding the sibling image that shares the most base layers (warm)."""
    ranked = by_compressed(results)
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    for offset, mode, color in ((-0.2, "cold", COLD), (0.2, "warm", WARM)):
        label: str | None = mode  # once per mode, on its first bar
        for x, r in enumerate(ranked):
            value = median(results, r.variant, mode, "pushed_bytes")
            if value is None:
                # Say why the bar is missing: skipped (no sibling), failed, or not measured.
                rows = results.distribution_rows
                why = [d.status for d in rows if (d.variant, d.mode) == (r.variant, mode)]
                note = why[0] if why else "not measured"
                ax.annotate(
                    note, (x + offset, 0), ha="center", va="bottom", fontsize=7, rotation=90
                )
                continue
            ax.bar(x + offset, value / MB, width=0.4, color=color, label=label)
            label = None
            top = (x + offset, value / MB)
            ax.annotate(f"{value / MB:.0f}", top, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(ranked)), [r.variant for r in ranked])
    ax.set_xlabel("variant (smallest compressed first)")
    ax.set_ylabel("bytes pushed (MB, median)")
    ax.set_title("What a push sends: empty registry (cold) vs a sibling's layers there (warm)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return fig


def plot_rebuild(results: Results) -> Figure:
    """Each timed rebuild after a one-line source edit as a dot, the median as a bar, and the
    steps that did not come from the cache written above each variant."""
    order = [r.variant for r in by_compressed(results)]
    order += sorted({r.variant for r in results.rebuild_rows} - set(order))
    variants = [v for v in order if any(r.variant == v for r in results.rebuild_rows)]
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    tallest = max((s for v in variants for s in rebuild_samples(results, v)), default=1.0)
    for i, v in enumerate(variants):
        found = rebuild_samples(results, v)
        jitter = [i + (k - (len(found) - 1) / 2) * 0.05 for k in range(len(found))]
        ax.scatter(jitter, found, s=20, color=COLD, alpha=0.8, zorder=3)
        middle = rebuild_median(results, v)
        if middle is not None:
            ax.hlines(middle, i - 0.25, i + 0.25, color=FIT, lw=2, zorder=4)
        steps = steps_rebuilt(results, v)
        note = f"{steps} steps\nre-run" if steps is not None else "failed"
        ax.annotate(note, (i, tallest * 1.05), ha="center", va="bottom", fontsize=7)
    ticks = [f"{v}\nn={len(rebuild_samples(results, v))}" for v in variants]
    ax.set_xticks(range(len(variants)), ticks)
    ax.set_xlabel("variant (smallest compressed first)")
    ax.set_ylabel("rebuild wall time (s)")
    ax.set_title("Rebuild after a one-line source edit: each trial (dots), median (bar)")
    ax.set_ylim(0, tallest * 1.3)
    return fig


def _scenario_axis(ax: Axes, results: Results, field: str, what: str) -> None:
    """``field`` against compressed size, both scenarios, each with its own fitted line."""
    ranked = by_compressed(results)
    for scenario, color in ((BASE, COLD), (FRESH, WARM)):
        xs, ys = [], []
        for r in ranked:
            found = samples(results, r.variant, "cold", field, scenario)
            xs += [(r.compressed_bytes or 0) / MB] * len(found)
            ys += found
        if not ys:
            ax.plot([], [], " ", label=f"{scenario}: not measured")
            continue
        ax.scatter(xs, ys, s=22, color=color, label=f"{scenario} (n={len(ys)})", zorder=3)
        fit, _ = transfer_fit(results, field, scenario)
        if fit is not None:
            ends = [min(xs), max(xs)]
            slope_mb = fit.slope * MB
            ax.plot(
                ends,
                [slope_mb * x + fit.intercept for x in ends],
                color=color,
                lw=1,
                label=f"{scenario} fit: {slope_mb:#.3g} s/MB, r² {r2_text(fit)}",
            )
    ax.set_title(f"{what} against compressed size", fontsize=10)
    ax.set_xlabel("compressed size (MB, gzip of the layers)")
    ax.set_ylabel(f"{what} (s)")
    ax.set_ylim(bottom=0)
    if ranked:
        ax.set_xlim(0, max((r.compressed_bytes or 0) / MB for r in ranked) * 1.1)
    ax.legend(fontsize=7, loc="best")


def plot_fresh_host(results: Results) -> Figure:
    """Pull time (left) and deploy time — pull + create + start to ready — (right) against
    compressed size: base-present (the engine that built the image, base layers kept) and
    fresh-host (an empty engine), every cold trial a dot, a line fitted per scenario."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    _scenario_axis(axes[0], results, "pull_s", "pull time")
    _scenario_axis(axes[1], results, "deploy_s", "deploy time (pull + start to ready)")
    return fig
