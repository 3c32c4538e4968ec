"""Typed, frozen results, and the one boundary where they become DataFrames.

Rows keep raw samples (every trial, warm-ups flagged); statistics are derived from them. Each row
is written with the run's envelope (run id, kit and engine versions, storage driver, profile,
UTC time) so that a table read on its own still says where it came from.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from kit.claims import DeclaredClaim
from kit.errors import ResultsError
from kit.measure.start import StartSample

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    kit_version: str
    engine_version: str
    engine_api: str
    storage_driver: str
    containerd_store: bool
    engine_host: str
    host: str
    profile: str
    requested_profile: str
    timestamp_utc: str
    schema_version: int = SCHEMA_VERSION


@dataclass(frozen=True)
class ImageResult:
    """One variant: its build, its image, and the statistics of its start trials."""

    app: str
    variant: str
    description: str
    status: str  # "ok" | "failed"
    error: str | None
    error_type: str | None
    dockerfile: str
    dockerfile_sha256: str | None
    stages: int | None
    image_id: str | None = None
    tag: str | None = None
    size_bytes: int | None = None
    layers: int | None = None
    history_steps: int | None = None
    empty_steps: int | None = None
    base_image: str | None = None
    base_bytes: int | None = None
    build_cold_s: float | None = None
    build_warm_s: float | None = None
    start_n: int = 0
    start_median_s: float | None = None
    start_iqr_s: float | None = None
    start_min_s: float | None = None
    start_max_s: float | None = None
    log_tail: str | None = None


@dataclass(frozen=True)
class TrialResult(StartSample):
    """One start trial as a result row: the raw sample plus which variant it belongs to."""

    app: str
    variant: str
    status: str


Row = TypeVar("Row", ImageResult, TrialResult)
LEADING = ("app", "variant", "status")
_RUN_FIELDS = [f.name for f in dataclasses.fields(RunInfo)]


def _frame(rows: tuple[Row, ...], cls: type[Row], run: RunInfo) -> pd.DataFrame:
    names = [f.name for f in dataclasses.fields(cls)]
    # Identity first, whatever the dataclass's field order (TrialResult inherits its samples').
    columns = [n for n in LEADING if n in names] + [n for n in names if n not in LEADING]
    frame = pd.DataFrame([dataclasses.asdict(r) for r in rows], columns=columns)
    for f in dataclasses.fields(cls):
        if f.type in ("int", "int | None"):
            # Nullable ints: a missing value must not turn the column (and reloaded rows) float.
            frame[f.name] = frame[f.name].astype("Int64")
    for name, value in dataclasses.asdict(run).items():
        frame[name] = value
    return frame


def _rows(frame: pd.DataFrame, cls: type[Row]) -> tuple[Row, ...]:
    names = [f.name for f in dataclasses.fields(cls)]
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    rows = []
    for rec in records:
        fields: dict[str, Any] = {k: rec.get(k) for k in names}
        rows.append(cls(**fields))
    return tuple(rows)


def _write_atomic(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@dataclass(frozen=True)
class Results:
    """What :func:`kit.run_experiment` returns: ``.images`` and ``.trials`` as DataFrames."""

    run: RunInfo
    app: str
    title: str
    image_rows: tuple[ImageResult, ...]
    trial_rows: tuple[TrialResult, ...]
    claims: tuple[DeclaredClaim, ...] = ()

    @property
    def images(self) -> pd.DataFrame:
        return _frame(self.image_rows, ImageResult, self.run)

    @property
    def trials(self) -> pd.DataFrame:
        return _frame(self.trial_rows, TrialResult, self.run)

    @property
    def ok(self) -> tuple[ImageResult, ...]:
        return tuple(r for r in self.image_rows if r.status == "ok")

    @property
    def failed(self) -> tuple[ImageResult, ...]:
        return tuple(r for r in self.image_rows if r.status != "ok")

    def save(self, directory: str | Path) -> Path:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        meta = {
            "app": self.app,
            "title": self.title,
            "run": dataclasses.asdict(self.run),
            "claims": [dataclasses.asdict(c) for c in self.claims],
        }
        _write_atomic(out / "images.parquet", lambda p: self.images.to_parquet(p, index=False))
        _write_atomic(out / "trials.parquet", lambda p: self.trials.to_parquet(p, index=False))
        _write_atomic(out / "run.json", lambda p: Path(p).write_text(json.dumps(meta, indent=2)))
        return out


def load_results(directory: str | Path) -> Results:
    """Read back what :meth:`Results.save` wrote."""
    src = Path(directory)
    try:
        meta = json.loads((src / "run.json").read_text())
        images = pd.read_parquet(src / "images.parquet")
        trials = pd.read_parquet(src / "trials.parquet")
        run = RunInfo(**{k: meta["run"][k] for k in _RUN_FIELDS if k in meta["run"]})
        app, title = str(meta["app"]), str(meta["title"])
        claims = tuple(DeclaredClaim(**c) for c in meta.get("claims", []))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResultsError(f"cannot read results: {exc}", file=src) from exc
    return Results(
        run=run,
        app=app,
        title=title,
        image_rows=_rows(images, ImageResult),
        trial_rows=_rows(trials, TrialResult),
        claims=claims,
    )
