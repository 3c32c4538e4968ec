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
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

from kit.claims import DeclaredClaim
from kit.errors import ResultsError
from kit.lint import LintFinding, LintStatus
from kit.measure.stages import StageSize
from kit.rows import (
    SCHEMA_VERSION,
    CapacityTableRow,
    DistributionRow,
    FloorRow,
    ImageResult,
    LayerRow,
    RebuildRow,
    RuleBytes,
    RunInfo,
    TrialResult,
    WastedRow,
    anatomy_rows,
)

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "CapacityTableRow",
    "DistributionRow",
    "FloorRow",
    "ImageResult",
    "LayerRow",
    "RebuildRow",
    "Results",
    "RuleBytes",
    "RunInfo",
    "Table",
    "TrialResult",
    "WastedRow",
    "anatomy_rows",
    "from_frame",
    "load_results",
    "to_frame",
    "write_atomic",
]


Row = TypeVar("Row", bound="DataclassInstance")
LEADING = ("app", "variant", "status")
_RUN_FIELDS = [f.name for f in dataclasses.fields(RunInfo)]


def to_frame(rows: tuple[Row, ...], cls: type[Row], run: RunInfo) -> pd.DataFrame:
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


def from_frame(frame: pd.DataFrame, cls: type[Row]) -> tuple[Row, ...]:
    names = [f.name for f in dataclasses.fields(cls)]
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    rows = []
    for rec in records:
        fields: dict[str, Any] = {k: rec.get(k) for k in names}
        rows.append(cls(**fields))
    return tuple(rows)


def write_atomic(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@dataclass(frozen=True)
class Table:
    """One table of a run: its row class, the Results field holding its rows, its file."""

    name: str
    field: str
    row: type[Any]
    required: bool = True  # older result directories lack the tables added since


TABLES = (
    Table("images", "image_rows", ImageResult),
    Table("trials", "trial_rows", TrialResult),
    Table("lint", "lint_rows", LintFinding, required=False),
    Table("lint_status", "lint_statuses", LintStatus, required=False),
    Table("layers", "layer_rows", LayerRow, required=False),
    Table("wasted", "wasted_rows", WastedRow, required=False),
    Table("rule_bytes", "rule_bytes", RuleBytes, required=False),
    Table("stages", "stage_rows", StageSize, required=False),
    Table("floor", "floor_rows", FloorRow, required=False),
    Table("distribution", "distribution_rows", DistributionRow, required=False),
    Table("rebuild", "rebuild_rows", RebuildRow, required=False),
    Table("capacity", "capacity_rows", CapacityTableRow, required=False),
)


@dataclass(frozen=True)
class Results:
    """What :func:`kit.run_experiment` returns; each table is a DataFrame property."""

    run: RunInfo
    app: str
    title: str
    image_rows: tuple[ImageResult, ...]
    trial_rows: tuple[TrialResult, ...]
    claims: tuple[DeclaredClaim, ...] = ()
    lint_rows: tuple[LintFinding, ...] = ()
    lint_statuses: tuple[LintStatus, ...] = ()
    layer_rows: tuple[LayerRow, ...] = ()
    wasted_rows: tuple[WastedRow, ...] = ()
    rule_bytes: tuple[RuleBytes, ...] = ()
    stage_rows: tuple[StageSize, ...] = ()
    floor_rows: tuple[FloorRow, ...] = ()
    distribution_rows: tuple[DistributionRow, ...] = ()
    rebuild_rows: tuple[RebuildRow, ...] = ()
    capacity_rows: tuple[CapacityTableRow, ...] = ()

    def table(self, name: str) -> pd.DataFrame:
        spec = next((t for t in TABLES if t.name == name), None)
        if spec is None:
            raise KeyError(f"no table {name!r}; tables are {', '.join(t.name for t in TABLES)}")
        return to_frame(getattr(self, spec.field), spec.row, self.run)

    @property
    def images(self) -> pd.DataFrame:
        return self.table("images")

    @property
    def trials(self) -> pd.DataFrame:
        return self.table("trials")

    @property
    def lint(self) -> pd.DataFrame:
        return self.table("lint")

    @property
    def layers(self) -> pd.DataFrame:
        return self.table("layers")

    @property
    def ok(self) -> tuple[ImageResult, ...]:
        return tuple(r for r in self.image_rows if r.status == "ok")

    @property
    def failed(self) -> tuple[ImageResult, ...]:
        return tuple(r for r in self.image_rows if r.status != "ok")

    @property
    def reused(self) -> tuple[ImageResult, ...]:
        """Rows whose measurements came from an earlier run (their inputs had not changed)."""
        return tuple(r for r in self.image_rows if r.cached_from)

    def save(self, directory: str | Path) -> Path:
        """Write every table as ``<name>.parquet`` plus ``run.json``, each file atomically."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        meta = {
            "app": self.app,
            "title": self.title,
            "run": dataclasses.asdict(self.run),
            "claims": [dataclasses.asdict(c) for c in self.claims],
        }
        for spec in TABLES:
            frame = self.table(spec.name)
            write_atomic(
                out / f"{spec.name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False)
            )
        write_atomic(out / "run.json", lambda p: Path(p).write_text(json.dumps(meta, indent=2)))
        return out


def load_results(directory: str | Path) -> Results:
    """Read back what :meth:`Results.save` wrote, or the latest run in a result store."""
    src = Path(directory)
    if not (src / "run.json").exists() and (src / "runs").is_dir():
        from kit.store import Store

        return Store(src).results()
    try:
        meta = json.loads((src / "run.json").read_text())
        run = RunInfo(**{k: meta["run"][k] for k in _RUN_FIELDS if k in meta["run"]})
        app, title = str(meta["app"]), str(meta["title"])
        claims = tuple(DeclaredClaim(**c) for c in meta.get("claims", []))
        tables = {}
        for spec in TABLES:
            path = src / f"{spec.name}.parquet"
            if spec.required or path.exists():
                tables[spec.field] = from_frame(pd.read_parquet(path), spec.row)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResultsError(f"cannot read results: {exc}", file=src) from exc
    return Results(run=run, app=app, title=title, claims=claims, **tables)
