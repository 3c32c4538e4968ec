"""Figures of one app under both builders: build times (cold, warm, every rebuild after an
edit) and image size with layer counts. Labelled axes with units, and a title."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from kit.model.results import Results
from kit.util.units import MB
from kit.views.builders.samples import by_builder, rebuild_samples, row, variants

COLORS = {"buildkit": "#4c72b0", "classic": "#dd8452"}
PHASES = (("cold", "build_cold_s"), ("warm", "build_warm_s"))


def plot_build_times(runs: Sequence[Results]) -> Figure:
    """Per variant and builder: the cold and warm build (one each, bars) and every rebuild after
    a one-line edit (dots, with their median as a bar)."""
    runs_of = by_builder(runs)
    names = variants(runs)
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    width = 0.8 / max(len(runs_of), 1)
    ticks, labels = [], []
    legend: set[str] = set()  # each builder labelled once, on its first bar
    for i, name in enumerate(names):
        for p, (phase, field) in enumerate((*PHASES, ("rebuild", None))):
            x0 = i * 4 + p
            ticks.append(x0)
            labels.append(f"{phase}\n{name}" if p == 1 else phase)
            for k, (builder, results) in enumerate(runs_of.items()):
                x = x0 - 0.4 + width * (k + 0.5)
                r = row(results, name)
                if r is None or r.status != "ok":
                    ax.annotate("failed", (x, 0), ha="center", va="bottom", fontsize=6, rotation=90)
                    continue
                if field is not None:
                    value = getattr(r, field)
                    samples = [] if value is None else [value]
                else:
                    samples = rebuild_samples(results, name)
                    ax.scatter([x] * len(samples), samples, s=12, color="black", zorder=3)
                if samples:
                    ax.bar(
                        x,
                        sorted(samples)[len(samples) // 2],
                        width=width,
                        color=COLORS.get(builder, "#8172b2"),
                        label=None if builder in legend else builder,
                    )
                    legend.add(builder)
    ax.set_xticks(ticks, labels, fontsize=7)
    ax.set_ylabel("build time (s)")
    ax.set_title("Builds per builder: cold and warm (one each), rebuild after an edit (each dot)")
    ax.legend(fontsize=8)
    return fig


def plot_sizes(runs: Sequence[Results]) -> Figure:
    """Image size per variant and builder, each bar labelled with its layer count."""
    runs_of = by_builder(runs)
    names = variants(runs)
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    width = 0.8 / max(len(runs_of), 1)
    top = 1.0
    for k, (builder, results) in enumerate(runs_of.items()):
        for i, name in enumerate(names):
            x = i - 0.4 + width * (k + 0.5)
            r = row(results, name)
            if r is None or r.status != "ok" or r.size_bytes is None:
                ax.annotate("failed", (x, 0), ha="center", va="bottom", fontsize=7, rotation=90)
                continue
            size = r.size_bytes / MB
            top = max(top, size)
            ax.bar(x, size, width=width, color=COLORS.get(builder, "#8172b2"), label=builder)
            ax.annotate(
                f"{size:.0f} MB\n{r.layers} layers", (x, size), ha="center", va="bottom", fontsize=7
            )
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=8)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("size (MB, uncompressed)")
    ax.set_xlabel("variant")
    ax.set_ylim(0, top * 1.3)
    ax.set_title("Image size and layers per builder")
    return fig
