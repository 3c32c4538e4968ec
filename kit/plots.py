"""Figures for the notebooks. Every figure has labelled axes with units and a title."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from kit.narration import by_size, start_samples
from kit.results import Results

MB = 1e6


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


def plot_layers(results: Results) -> Figure:
    """Each image as a stack of its layers (uncompressed tar bytes), bottom layer first.

    Layers big enough to read are labelled with the instruction that made them."""
    ranked = by_size(results)
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    palette = [plt.get_cmap("tab20")(i) for i in range(20)]
    tallest = (
        max(
            (
                sum(layer.tar_bytes for layer in results.layer_rows if layer.variant == r.variant)
                for r in ranked
            ),
            default=1,
        )
        / MB
    )
    for x, r in enumerate(ranked):
        bottom = 0.0
        for layer in [layer for layer in results.layer_rows if layer.variant == r.variant]:
            height = layer.tar_bytes / MB
            ax.bar(
                x,
                height,
                bottom=bottom,
                width=0.6,
                color=palette[layer.index % len(palette)],
                edgecolor="white",
                linewidth=0.5,
            )
            if height > 0.06 * tallest:
                # Two short lines keep a label inside its own bar, clear of the neighbours.
                lines = textwrap.wrap(f"{layer.index}: {layer.created_by}", 20)
                label = "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")
                ax.text(
                    x,
                    bottom + height / 2,
                    f"{label}\n{height:.0f} MB",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                )
            bottom += height
        ax.annotate(
            f"{bottom:.0f} MB, {r.layers} layers", (x, bottom), ha="center", va="bottom", fontsize=8
        )
    ax.set_xticks(range(len(ranked)), [r.variant for r in ranked])
    ax.set_xlabel("variant (smallest image first)")
    ax.set_ylabel("layer tar bytes (MB, uncompressed)")
    ax.set_title("Bytes per layer, bottom layer first")
    ax.set_ylim(0, tallest * 1.1)
    return fig


def plot_compression(results: Results) -> Figure:
    """Uncompressed size (what the engine reports) next to the gzip a push would send."""
    ranked = [r for r in by_size(results) if r.compressed_bytes is not None]
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    xs = range(len(ranked))
    raw = [(r.size_bytes or 0) / MB for r in ranked]
    packed = [(r.compressed_bytes or 0) / MB for r in ranked]
    ax.bar(
        [x - 0.2 for x in xs], raw, width=0.4, label="uncompressed (engine Size)", color="#4c72b0"
    )
    ax.bar(
        [x + 0.2 for x in xs],
        packed,
        width=0.4,
        label="compressed (gzip of layers)",
        color="#55a868",
    )
    for x, (a, b) in enumerate(zip(raw, packed, strict=True)):
        ax.annotate(
            f"{a / b:.1f}×" if b else "", (x + 0.2, b), ha="center", va="bottom", fontsize=8
        )
    ax.set_xticks(list(xs), [r.variant for r in ranked])
    ax.set_xlabel("variant")
    ax.set_ylabel("size (MB)")
    ax.set_title("What is stored vs what a push or pull moves")
    ax.legend(fontsize=8)
    return fig


def plot_floor(results: Results) -> Figure:
    """Image size per variant against the floor (dashed), each bar labelled with ×floor."""
    ranked = by_size(results)
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    sizes = [(r.size_bytes or 0) / MB for r in ranked]
    ax.bar([r.variant for r in ranked], sizes, color="#4c72b0")
    for i, r in enumerate(ranked):
        label = f"{sizes[i]:.0f} MB" + (f"\n{r.x_floor:.2f}× floor" if r.x_floor else "")
        ax.annotate(label, (i, sizes[i]), ha="center", va="bottom", fontsize=8)
    floor = next((r.floor_bytes for r in ranked if r.floor_bytes), None)
    if floor:
        ax.axhline(floor / MB, color="#c44e52", linestyle="--", label=f"floor {floor / MB:.1f} MB")
        ax.legend(fontsize=8, loc="upper left")
    ax.set_yscale("log")
    ax.set_ylabel("size (MB, log scale)")
    ax.set_xlabel("variant (smallest image first)")
    ax.set_title("Image size against the floor the service really uses")
    lowest = min([*(v for v in sizes if v > 0), (floor or 0) / MB or 1])
    # Room below the floor, so its line reads as a line and not as the axis.
    ax.set_ylim(bottom=lowest / 4, top=max(sizes, default=1) * 3)
    return fig


def plot_stages(results: Results) -> Figure:
    """For each multi-stage variant, every stage's image size next to the release stage's."""
    variants = [
        r.variant
        for r in by_size(results)
        if any(s.variant == r.variant for s in results.stage_rows)
    ]
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    x = 0.0
    ticks, names = [], []
    for variant in variants:
        stages = sorted(
            (s for s in results.stage_rows if s.variant == variant), key=lambda s: s.index
        )
        for s in stages:
            color = "#55a868" if s.release else "#dd8452"
            ax.bar(x, s.size_bytes / MB, width=0.8, color=color)
            ax.annotate(
                f"{s.size_bytes / MB:.0f}",
                (x, s.size_bytes / MB),
                ha="center",
                va="bottom",
                fontsize=7,
            )
            ticks.append(x)
            names.append(f"{variant}\n{s.stage}")
            x += 1
        x += 0.7
    ax.set_xticks(ticks, names, fontsize=7)
    ax.set_ylabel("stage image size (MB)")
    ax.set_title("Build stages (orange) vs the release image (green)")
    return fig
