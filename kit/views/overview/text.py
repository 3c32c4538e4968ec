"""Views across every run in a result store: each app and variant side by side, and history.

A store keeps every run, so "the" value of a variant is the latest run of each (app, variant,
profile); start statistics are recomputed from that run's raw trials rather than trusted from the
image row, so the table and the figure say exactly which samples they rest on. History puts one
point per commit of the app checkout (the latest run at that commit): a regression is a step.
The figures of these views are in :mod:`kit.views.overview.figures`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from kit.model.store import Store
from kit.util.stats import summarize
from kit.util.units import MB
from kit.views.common import Markdown
from kit.views.verdicts import ranking

#: A variant's latest row per profile and builder: both builders' rows stand side by side.
KEY = ["app", "variant", "profile", "builder"]
#: metric → (its column in history(), axis label, scale from the stored unit)
HISTORY_METRICS = {
    "size_bytes": ("size_MB", "size (MB, uncompressed)", MB),
    "compressed_bytes": ("compressed_MB", "compressed size (MB, gzip)", MB),
    "layers": ("layers", "layers", 1.0),
}


def open_store(store: Store | str | Path) -> Store:
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
    """The image rows of the latest run of each (app, variant, profile, builder), as stored."""
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


def with_samples(store: Store, app: str | None) -> list[tuple[dict[str, Any], list[float]]]:
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


def table(store: Store | str | Path, app: str | None = None) -> pd.DataFrame:
    """Every app and variant side by side: the latest run of each (app, variant, profile, builder).

    Start statistics come from that run's timed trials (warm-ups excluded); builds are one cold
    and one warm build each. ``reused from`` names the run whose measurements a cached run kept."""
    rows = []
    for r, samples in with_samples(open_store(store), app):
        start = summarize(samples)
        rows.append(
            {
                "app": r["app"],
                "variant": r["variant"],
                "profile": r["profile"],
                "builder": r["builder"],
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
    columns = ["app", "variant", "profile", "builder", "status", "size_MB", "compressed_MB"]
    columns += ["layers"]
    columns += ["build cold (s)", "build warm (s)", "start median (ms)", "start IQR (ms)", "n"]
    return pd.DataFrame(rows, columns=[*columns, "commit", "run", "reused from"])


def summary(store: Store | str | Path, app: str | None = None) -> Markdown:
    """Markdown: what the store holds, or how to fill it when it holds nothing (yet)."""
    opened = open_store(store)
    images = _images(opened, app)
    where = f"`{getattr(opened, 'root', store)}`"
    if images.empty:
        which = f" for app **{app}**" if app else ""
        return Markdown(
            f"**The store at {where} holds no runs{which} yet**, so there is nothing to compare. "
            "Fill it with `kit.run_experiment(app_dir, store=...)`, `kit measure` or `kit batch`, "
            "then run this notebook again."
        )
    runs = images["run_id"].nunique()
    commits = images["git_commit"].dropna().nunique() if "git_commit" in images else 0
    apps = ", ".join(f"**{a}**" for a in sorted(images["app"].unique()))
    return Markdown(
        f"The store at {where} holds {runs} run(s) of {apps}, from {images['_started'].iloc[0]} "
        f"to {images['_started'].iloc[-1]} (UTC), at {commits} commit(s)."
    )


def facts(store: Store | str | Path, app: str | None = None) -> str:
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


def history(
    store: Store | str | Path, app: str | None = None, metric: str = "size_bytes"
) -> pd.DataFrame:
    """One row per (app, variant, profile, builder) and commit — the latest run at that
    commit — with the change from the previous commit. Commits are in the order they were first
    measured, the same for every variant of an app, so rows read as the app's history.

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
    latest = latest.sort_values(
        ["app", "_first", "_point", "variant", "profile", "builder"], kind="stable"
    )
    column, _, scale = HISTORY_METRICS[metric]
    value = latest[metric].astype("Float64") / scale
    change = value.groupby([latest[k] for k in KEY]).diff()
    out = latest[[*KEY, "commit", "run_id", "_started"]].rename(columns={"_started": "started_utc"})
    out = out.assign(**{column: value.round(2), "change": change.round(2)})
    return out.reset_index(drop=True)
