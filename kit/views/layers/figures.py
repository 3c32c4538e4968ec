"""Figures of a run's layer anatomy: bytes per layer, and what a push moves. Labelled axes with
units, and a title."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from kit.model.results import Results
from kit.util.units import MB
from kit.views.common import by_size


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
