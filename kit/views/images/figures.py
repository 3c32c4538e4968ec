"""Figures of a run's images: size, start trials, build times. Labelled axes with units, and a
title."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from kit.model.results import Results
from kit.util.units import MB
from kit.views.common import by_size, start_samples


def plot_sizes(results: Results) -> Figure:
    """Image size per variant, smallest first, with the largest→smallest ratio annotated."""
    ranked = by_size(results)
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    names = [r.variant for r in ranked]
    sizes = [(r.size_bytes or 0) / MB for r in ranked]
    bases = [min((r.base_bytes or 0) / MB, s) for r, s in zip(ranked, sizes, strict=True)]
    added = [s - b for s, b in zip(sizes, bases, strict=True)]
    ax.bar(names, bases, color="#a1b9d9", label="release base")
    ax.bar(names, added, bottom=bases, color="#4c72b0", label="added by the Dockerfile")
    for i, (size, extra) in enumerate(zip(sizes, added, strict=True)):
        label = f"{size:.0f} MB\n(+{extra:.1f} MB on the base)"
        ax.annotate(label, (i, size), ha="center", va="bottom", fontsize=8)
    if len(ranked) >= 2 and sizes[0] > 0:
        ratio = sizes[-1] / sizes[0]
        ax.set_title(
            f"Image size: {ranked[-1].variant} → {ranked[0].variant} is {ratio:.1f}× smaller"
        )
    else:
        ax.set_title("Image size")
    ax.set_ylabel("size (MB, uncompressed)")
    ax.set_xlabel("variant")
    ax.set_ylim(0, max(sizes, default=1) * 1.25)
    ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_start_times(results: Results) -> Figure:
    """Every timed start as a point, the median as a bar, n under each variant."""
    ranked = by_size(results)
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    for i, r in enumerate(ranked):
        samples = [s * 1000 for s in start_samples(results.trial_rows, r.variant)]
        jitter = [i + (k - (len(samples) - 1) / 2) * 0.04 for k in range(len(samples))]
        ax.scatter(jitter, samples, s=18, alpha=0.7, color="#4c72b0", zorder=3)
        if r.start_median_s is not None:
            ax.hlines(r.start_median_s * 1000, i - 0.25, i + 0.25, color="#c44e52", lw=2, zorder=4)
    ax.set_xticks(
        range(len(ranked)),
        [f"{r.variant}\n{(r.size_bytes or 0) / MB:.0f} MB, n={r.start_n}" for r in ranked],
    )
    ax.set_ylabel("start to ready (ms)")
    ax.set_xlabel("variant (smallest image first)")
    ax.set_title("Container start: each trial (dots) and median (bar)")
    ax.set_ylim(bottom=0)
    return fig


def plot_build_times(results: Results) -> Figure:
    """Cold (no cache) and warm (cached) build time per variant."""
    ranked = by_size(results)
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    xs = range(len(ranked))
    ax.bar(
        [x - 0.2 for x in xs],
        [r.build_cold_s or 0 for r in ranked],
        width=0.4,
        label="cold (no cache)",
        color="#dd8452",
    )
    ax.bar(
        [x + 0.2 for x in xs],
        [r.build_warm_s or 0 for r in ranked],
        width=0.4,
        label="warm (cached)",
        color="#55a868",
    )
    ax.set_xticks(list(xs), [r.variant for r in ranked])
    ax.set_ylabel("build wall time (s)")
    ax.set_xlabel("variant")
    ax.set_title("Build time, one build each (indicative)")
    ax.legend(fontsize=8)
    return fig
