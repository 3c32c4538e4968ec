"""Views across every run in a result store: each app and variant side by side, and history.

A store keeps every run, so "the" value of a variant is the latest run of each (app, variant,
profile); start statistics are recomputed from that run's raw trials rather than trusted from the
image row, so the table and the figure say exactly which samples they rest on. History puts one
point per commit of the app checkout (the latest run at that commit): a regression is a step.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from kit.claims import ranking
from kit.plots import MB
from kit.stats import summarize

if TYPE_CHECKING:
    from kit.store import Store

KEY = ["app", "variant", "profile"]
#: metric → (its column in history_table, axis label, scale from the stored unit)
HISTORY_METRICS = {
    "size_bytes": ("size_MB", "size (MB, uncompressed)", MB),
    "compressed_bytes": ("compressed_MB", "compressed size (MB, gzip)", MB),
    "layers": ("layers", "layers", 1.0),
}
ABOVE: dict[str, Any] = {  # a legend above its panel, clear of the bars' labels
    "fontsize": 7,
    "loc": "lower center",
    "bbox_to_anchor": (0.5, 1.0),
    "ncols": 2,
    "frameon": False,
}


def open_store(store: Store | str | Path) -> Store:
    from kit.store import Store

    return store if isinstance(store, Store) else Store(store)


def _started(frame: pd.DataFrame) -> pd.Series:
    # Rows written before the store existed carry only the run's start as timestamp_utc.
    if "started_utc" in frame:
        return frame["started_utc"].astype(object)
    return frame.get("timestamp_utc", pd.Series([None] * len(frame), index=frame.index))


def _images(store: Store, app: str | None) -> pd.DataFrame:
    frame = store.table("images")
    if app is not None:
        frame = frame[frame["app"] == app]
    frame = frame.assign(_started=_started(frame).fillna("").astype(str))
    return frame.sort_values(["_started", "run_id"], kind="stable")


def latest_images(store: Store | str | Path, app: str | None = None) -> pd.DataFrame:
    """The image rows of the latest run of each (app, variant, profile), as stored."""
    frame = _images(open_store(store), app)
    return frame.groupby(KEY, sort=False).tail(1).drop(columns="_started")


def short_commit(commit: str | None) -> str | None:
    """``abc1234`` for a full hash; a ``+dirty`` suffix is kept: edits are not that commit."""
    if not isinstance(commit, str) or not commit:
        return None
    head, sep, rest = commit.partition("+")
    return head[:7] + sep + rest


def _samples(trials: pd.DataFrame, run_id: str, app: str, variant: str) -> list[float]:
    mine = trials[
        (trials["run_id"] == run_id)
        & (trials["app"] == app)
        & (trials["variant"] == variant)
        & (trials["status"] == "ok")
        & ~trials["warmup"].astype(bool)
    ]
    return [float(x) for x in mine["total_s"].dropna()]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # None for every missing value, whatever the column's dtype (NaN, NA, NaT).
    return frame.astype(object).where(frame.notna(), None).to_dict("records")  # type: ignore[return-value]


def _with_samples(store: Store, app: str | None) -> list[tuple[dict[str, Any], list[float]]]:
    """Each latest image row with the start samples of the run that measured it, measured
    variants first (per app, smallest first), failed ones last.

    A reused (cached) measurement's trials live in the run it came from, unless the reusing run
    copied them: its own run is looked at first."""
    trials = store.table("trials")
    out = []
    for row in _records(latest_images(store, app)):
        samples = _samples(trials, row["run_id"], row["app"], row["variant"])
        if not samples and row.get("cached_from"):
            samples = _samples(trials, row["cached_from"], row["app"], row["variant"])
        out.append((row, samples))

    def measured(item: tuple[dict[str, Any], list[float]]) -> bool:
        return item[0]["status"] == "ok" and item[0]["size_bytes"] is not None

    ok = sorted(
        filter(measured, out), key=lambda x: (x[0]["app"], x[0]["size_bytes"], x[0]["variant"])
    )
    failed = sorted(
        (x for x in out if not measured(x)), key=lambda x: (x[0]["app"], x[0]["variant"])
    )
    return ok + failed


def _num(value: float | None, scale: float = 1.0, digits: int = 1) -> float | None:
    return None if value is None else round(float(value) / scale, digits)


def overview_table(store: Store | str | Path, app: str | None = None) -> pd.DataFrame:
    """Every app and variant side by side: the latest run of each (app, variant, profile).

    Start statistics come from that run's timed trials (warm-ups excluded); builds are one cold
    and one warm build each. ``reused from`` names the run whose measurements a cached run kept."""
    rows = []
    for r, samples in _with_samples(open_store(store), app):
        start = summarize(samples)
        rows.append(
            {
                "app": r["app"],
                "variant": r["variant"],
                "profile": r["profile"],
                "status": r["status"],
                "size_MB": _num(r["size_bytes"], MB),
                "compressed_MB": _num(r["compressed_bytes"], MB),
                "layers": r["layers"],
                "build cold (s)": _num(r["build_cold_s"], digits=2),
                "build warm (s)": _num(r["build_warm_s"], digits=2),
                "start median (ms)": _num(start.median, 1e-3),
                "start IQR (ms)": _num(start.iqr, 1e-3),
                "n": start.n,
                "commit": short_commit(r["git_commit"]),
                "run": r["run_id"],
                "reused from": r["cached_from"],
            }
        )
    columns = ["app", "variant", "profile", "status", "size_MB", "compressed_MB", "layers"]
    columns += ["build cold (s)", "build warm (s)", "start median (ms)", "start IQR (ms)", "n"]
    return pd.DataFrame(rows, columns=[*columns, "commit", "run", "reused from"])


def store_summary(store: Store | str | Path, app: str | None = None) -> str:
    """Markdown: what the store holds, or how to fill it when it holds nothing (yet)."""
    opened = open_store(store)
    images = _images(opened, app)
    where = f"`{getattr(opened, 'root', store)}`"
    if images.empty:
        which = f" for app **{app}**" if app else ""
        return (
            f"**The store at {where} holds no runs{which} yet**, so there is nothing to compare. "
            "Fill it with `kit.run_experiment(app_dir, store=...)`, `kit measure` or `kit batch`, "
            "then run this notebook again."
        )
    runs = images["run_id"].nunique()
    commits = images["git_commit"].dropna().nunique() if "git_commit" in images else 0
    apps = ", ".join(f"**{a}**" for a in sorted(images["app"].unique()))
    return (
        f"The store at {where} holds {runs} run(s) of {apps}, from {images['_started'].iloc[0]} "
        f"to {images['_started'].iloc[-1]} (UTC), at {commits} commit(s)."
    )


def overview_facts(store: Store | str | Path, app: str | None = None) -> str:
    """What a rerun on the same engine and bases reproduces: apps, variant counts, size ranking.

    No timings and no byte counts, so nbval can compare it."""
    latest = latest_images(store, app)
    if latest.empty:
        return "no runs in the store"
    lines = []
    for (name, profile), rows in latest.groupby(["app", "profile"], sort=True):
        ok = rows[(rows["status"] == "ok") & rows["size_bytes"].notna()]
        order = ranking(dict(zip(ok["variant"], ok["size_bytes"].astype(float), strict=True)))
        lines.append(
            f"{name} ({profile}): {len(ok)} ok, {len(rows) - len(ok)} failed; "
            f"smallest first: {order}"
        )
    return "\n".join(lines)


def _message(text: str) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 1.2), layout="constrained")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    ax.set_axis_off()
    return fig


def plot_overview(store: Store | str | Path, app: str | None = None) -> Figure:
    """Size, layers, build and start time of every variant, one row per (app, variant, profile).

    Start: every timed trial as a dot, the median as a bar, n beside it."""
    found = [(r, s) for r, s in _with_samples(open_store(store), app) if r["status"] == "ok"]
    if not found:
        return _message("No measured variant in the store yet.")
    profiles = {r["profile"] for r, _ in found}
    labels = [
        f"{r['app']} · {r['variant']}" + (f" ({r['profile']})" if len(profiles) > 1 else "")
        for r, _ in found
    ]
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


def history_table(
    store: Store | str | Path, app: str | None = None, metric: str = "size_bytes"
) -> pd.DataFrame:
    """One row per (app, variant, profile) and commit — the latest run at that commit — with
    the change from the previous commit. Commits are in the order they were first measured, the
    same for every variant of an app, so rows read as the app's history.

    A run outside a git checkout has no commit: it is its own point, labelled by its run id."""
    if metric not in HISTORY_METRICS:
        raise KeyError(f"metric must be one of {', '.join(HISTORY_METRICS)}, not {metric!r}")
    frame = _images(open_store(store), app)
    frame = frame[frame["status"] == "ok"]
    commit = frame["git_commit"]
    frame = frame.assign(
        _point=commit.where(commit.notna(), frame["run_id"]),
        commit=[short_commit(c) or r for c, r in zip(commit, frame["run_id"], strict=True)],
    )
    frame = frame.assign(_first=frame.groupby(["app", "_point"])["_started"].transform("min"))
    latest = frame.groupby([*KEY, "_point"], sort=False).tail(1)
    latest = latest.sort_values(["app", "_first", "_point", "variant", "profile"], kind="stable")
    column, _, scale = HISTORY_METRICS[metric]
    value = latest[metric].astype("Float64") / scale
    change = value.groupby([latest[k] for k in KEY]).diff()
    out = latest[[*KEY, "commit", "run_id", "_started"]].rename(columns={"_started": "started_utc"})
    out = out.assign(**{column: value.round(2), "change": change.round(2)})
    return out.reset_index(drop=True)


def plot_history(
    store: Store | str | Path, app: str | None = None, metric: str = "size_bytes"
) -> Figure:
    """Each variant's size over commits, one panel per app; changes over 1 % are labelled."""
    table = history_table(store, app, metric)
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
