"""Figures of the result store: every app and variant side by side, and each one's history.

The rows come from :mod:`kit.views.overview.text`, so a figure rests on exactly the samples its
table shows. Labelled axes with units, and a title.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from kit.model.store import Store
from kit.util.stats import summarize
from kit.util.units import MB
from kit.views.overview.text import HISTORY_METRICS, history, open_store, with_samples

ABOVE: dict[str, Any] = {  # a legend above its panel, clear of the bars' labels
    "fontsize": 7,
    "loc": "lower center",
    "bbox_to_anchor": (0.5, 1.0),
    "ncols": 2,
    "frameon": False,
}


def _message(text: str) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 1.2), layout="constrained")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    ax.set_axis_off()
    return fig


def plot(store: Store | str | Path, app: str | None = None) -> Figure:
    """Size, layers, build and start time of every variant, one row per (app, variant,
    profile, builder).

    Start: every timed trial as a dot, the median as a bar, n beside it."""
    found = [(r, s) for r, s in with_samples(open_store(store), app) if r["status"] == "ok"]
    if not found:
        return _message("No measured variant in the store yet.")
    profiles = {r["profile"] for r, _ in found}
    builders = {r.get("builder") for r, _ in found}

    def label(r: dict[str, Any]) -> str:
        extra = [r["profile"]] if len(profiles) > 1 else []
        extra += [str(r.get("builder"))] if len(builders) > 1 else []
        return f"{r['app']} · {r['variant']}" + (f" ({', '.join(extra)})" if extra else "")

    labels = [label(r) for r, _ in found]
    height = 1.8 + 0.34 * len(found)
    fig, axes = plt.subplots(1, 4, figsize=(13, height), sharey=True, layout="constrained")
    ys = range(len(found))
    size = [r["size_bytes"] / MB for r, _ in found]
    packed = [(r["compressed_bytes"] or 0) / MB for r, _ in found]
    axes[0].barh([y - 0.2 for y in ys], size, height=0.4, color="#4c72b0", label="uncompressed")
    axes[0].barh([y + 0.2 for y in ys], packed, height=0.4, color="#55a868", label="gzip")
    for y, value in zip(ys, size, strict=True):
        axes[0].annotate(f" {value:.0f}", (value, y - 0.2), va="center", fontsize=7)
    axes[0].set_xlabel("size (MB)")
    axes[0].set_xlim(0, max(size) * 1.2)  # room for the labels
    axes[0].legend(**ABOVE)
    axes[1].barh(list(ys), [r["layers"] for r, _ in found], color="#a1b9d9")
    axes[1].set_xlabel("layers")
    cold = [r["build_cold_s"] or 0 for r, _ in found]
    warm = [r["build_warm_s"] or 0 for r, _ in found]
    axes[2].barh([y - 0.2 for y in ys], cold, height=0.4, color="#dd8452", label="cold")
    axes[2].barh([y + 0.2 for y in ys], warm, height=0.4, color="#55a868", label="warm")
    axes[2].set_xlabel("build wall time (s), one each")
    axes[2].legend(**ABOVE)
    for y, (_, samples) in zip(ys, found, strict=True):
        ms = [s * 1000 for s in samples]
        axes[3].scatter(ms, [y] * len(ms), s=12, alpha=0.6, color="#4c72b0", zorder=3)
        middle = summarize(samples).median
        if middle is not None:
            axes[3].vlines(middle * 1000, y - 0.3, y + 0.3, color="#c44e52", lw=2, zorder=4)
            axes[3].annotate(f"  n={len(ms)}", (max(ms), y), va="center", fontsize=7)
    axes[3].set_xlabel("start to ready (ms)")
    slowest = max((max(s) for _, s in found if s), default=0.001) * 1000
    axes[3].set_xlim(0, slowest * 1.25)
    axes[0].set_yticks(list(ys), labels, fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle("Every app and variant: latest run of each (smallest image first per app)")
    return fig


def plot_history(
    store: Store | str | Path, app: str | None = None, metric: str = "size_bytes"
) -> Figure:
    """Each variant's size over commits, one panel per app; changes over 1 % are labelled."""
    table = history(store, app, metric)
    if table.empty:
        return _message("No measured variant in the store yet: no history to draw.")
    column, label, _ = HISTORY_METRICS[metric]
    apps = sorted(table["app"].unique())
    fig, axes = plt.subplots(
        len(apps), 1, figsize=(9, 3.2 * len(apps)), squeeze=False, layout="constrained"
    )
    for ax, name in zip(axes[:, 0], apps, strict=True):
        mine = table[table["app"] == name]
        commits = list(dict.fromkeys(mine["commit"]))  # already in first-measured order
        profiles = mine["profile"].nunique()
        for (variant, profile), line in mine.groupby(["variant", "profile"], sort=True):
            xs = [commits.index(c) for c in line["commit"]]
            ys = [float(v) for v in line[column]]
            name_ = f"{variant} ({profile})" if profiles > 1 else str(variant)
            ax.step(xs, ys, where="mid", marker="o", label=name_)
            for x, y, prev in zip(xs[1:], ys[1:], ys, strict=False):
                if prev and abs(y - prev) > 0.01 * prev:
                    ax.annotate(
                        f"{y - prev:+.3g}",
                        (x, y),
                        xytext=(0, 6),
                        textcoords="offset points",
                        fontsize=7,
                        ha="center",
                    )
        ax.set_xticks(range(len(commits)), commits, rotation=30, ha="right", fontsize=8)
        ax.set_xlim(-0.5, len(commits) - 0.5)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(label)
        ax.set_xlabel("commit of the app checkout (first measured → last)")
        ax.set_title(f"{name}: {label.split(' (')[0]} over commits")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig
