"""Figures of the size floor and the build stages. Labelled axes with units, and a title."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from kit.model.results import Results
from kit.util.units import MB
from kit.views.common import by_size


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
