"""The one boundary where typed rows become DataFrames and back, and the registry of the tables
a run has: each table's name, the :class:`~kit.model.results.Results` field holding its rows, and
its row class — the built-in ones, and those of the registered measurements
(:mod:`kit.measurements`).

Each row is written with the run's envelope (run id, kit and engine versions, storage driver,
profile, UTC times) so that a table read on its own still says where it came from.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from kit import measurements
from kit.errors import ResultsError
from kit.model.rows import (
    CapacityTableRow,
    DistributionRow,
    FileRow,
    FloorRow,
    ImageResult,
    LayerRow,
    PackageRow,
    RebuildRow,
    RuleBytes,
    RunInfo,
    TrialResult,
    WastedRow,
)
from kit.model.samples import LintFinding, LintStatus, StageSize

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Row = TypeVar("Row", bound="DataclassInstance")
LEADING = ("app", "variant", "status")
RUN_FIELDS = {f.name: f for f in dataclasses.fields(RunInfo)}
#: Renamed columns, by the schema version that renamed them (none yet; the place for them).
_RENAMED: dict[int, dict[str, str]] = {}


def default(field: dataclasses.Field[Any]) -> Any:
    return None if field.default is dataclasses.MISSING else field.default


def blank_run() -> RunInfo:
    """An envelope of defaults: the columns of an empty table."""
    return RunInfo(**{k: default(f) for k, f in RUN_FIELDS.items()})


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
    """Rows from a frame: Python values, a missing value (NaN, NA, absent column) as None.

    Column by column, not record by record: a run's files table has ~100k rows, and pandas'
    ``to_dict("records")`` boxes every cell one call at a time (3 s of a 5 s load, measured)."""
    names = [f.name for f in dataclasses.fields(cls)]
    blank = [None] * len(frame)
    columns = [
        frame[k].astype(object).where(frame[k].notna(), None).tolist()
        if k in frame.columns
        else blank
        for k in names
    ]
    rows = zip(*columns, strict=True)
    return tuple(cls(**dict(zip(names, values, strict=True))) for values in rows)


def normalise(frame: pd.DataFrame, row: type[Any], *, file: Path) -> pd.DataFrame:
    """An older part's columns brought to the current row and envelope schema."""
    version = int(frame["schema_version"].iloc[0]) if len(frame) else 0
    for since, renames in sorted(_RENAMED.items()):
        if version < since:
            frame = frame.rename(columns=renames)
    wanted = {**{f.name: f for f in dataclasses.fields(row)}, **RUN_FIELDS}
    for name, field in wanted.items():
        if name not in frame.columns:
            frame[name] = default(field)
    if "schema_version" not in frame.columns:
        raise ResultsError("a store file without a schema_version column", file=file)
    return frame


def write_atomic(path: Path, write: Callable[[str], object]) -> None:
    """``write(tmp)`` into a temp file beside ``path``, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    def write(tmp: str) -> None:
        frame.to_parquet(tmp, index=False)

    write_atomic(path, write)


@dataclass(frozen=True)
class Table:
    """One table of a run: its row class, the Results field holding its rows (None: a
    registered measurement's, held in ``Results.measured`` by name), its file."""

    name: str
    field: str | None
    row: type[Any]
    required: bool = True  # older result directories lack the tables added since


@dataclass(frozen=True)
class TableRows:
    """The rows of one registered measurement's table (:mod:`kit.measurements`)."""

    name: str
    rows: tuple[Any, ...]


BUILT_IN = (
    Table("images", "image_rows", ImageResult),
    Table("trials", "trial_rows", TrialResult),
    Table("lint", "lint_rows", LintFinding, required=False),
    Table("lint_status", "lint_statuses", LintStatus, required=False),
    Table("layers", "layer_rows", LayerRow, required=False),
    Table("wasted", "wasted_rows", WastedRow, required=False),
    Table("rule_bytes", "rule_bytes", RuleBytes, required=False),
    Table("stages", "stage_rows", StageSize, required=False),
    Table("floor", "floor_rows", FloorRow, required=False),
    Table("files", "file_rows", FileRow, required=False),
    Table("packages", "package_rows", PackageRow, required=False),
    Table("distribution", "distribution_rows", DistributionRow, required=False),
    Table("rebuild", "rebuild_rows", RebuildRow, required=False),
    Table("capacity", "capacity_rows", CapacityTableRow, required=False),
)
#: Every table: the built-in ones, then each registered measurement's (never required: runs
#: from before it was registered, or that did not turn it on, have no such part).
TABLES = BUILT_IN + tuple(Table(t.name, None, t.row, required=False) for t in measurements.tables())


def results_fields(loaded: Iterable[tuple[Table, tuple[Any, ...]]]) -> dict[str, Any]:
    """Rows read back, per table, as the keywords of ``Results``: a built-in table's field, the
    registered ones together in ``measured``."""
    fields: dict[str, Any] = {"measured": ()}
    for spec, rows in loaded:
        if spec.field is None:
            # Only a table the run took: as Results held it before it was written.
            fields["measured"] += (TableRows(spec.name, rows),) if rows else ()
        else:
            fields[spec.field] = rows
    return fields


def table_spec(name: str) -> Table:
    spec = next((t for t in TABLES if t.name == name), None)
    if spec is None:
        raise KeyError(f"no table {name!r}; tables are {', '.join(t.name for t in TABLES)}")
    return spec
