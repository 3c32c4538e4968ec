"""What one run of one app measured: :class:`Results`, every table's rows and the run's envelope.

Rows keep raw samples (every trial, warm-ups flagged); statistics are derived from them. Each
table is a DataFrame on demand (:meth:`Results.table`), made at the one boundary in
:mod:`kit.model.tables`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kit.model.budgets import Budget
from kit.model.claims import DeclaredClaim
from kit.model.failures import Failure, collect
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
from kit.model.tables import (
    TABLES,
    Table,
    TableRows,
    table_spec,
    to_frame,
    write_atomic,
    write_parquet,
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
    file_rows: tuple[FileRow, ...] = ()
    package_rows: tuple[PackageRow, ...] = ()
    distribution_rows: tuple[DistributionRow, ...] = ()
    rebuild_rows: tuple[RebuildRow, ...] = ()
    capacity_rows: tuple[CapacityTableRow, ...] = ()
    budgets: tuple[Budget, ...] = ()
    #: Failed steps no table has a row for (images per host, say); see :attr:`failures`.
    step_failures: tuple[Failure, ...] = ()
    #: The tables of the registered measurements this run took (:mod:`kit.measurements`).
    measured: tuple[TableRows, ...] = ()

    def rows(self, name: str) -> tuple[Any, ...]:
        """The rows of one table, by its name (a registered one's too)."""
        spec = table_spec(name)
        if spec.field is not None:
            return tuple(getattr(self, spec.field))
        return next((t.rows for t in self.measured if t.name == name), ())

    def written(self) -> tuple[Table, ...]:
        """The tables this run writes: every built-in one, and the registered ones it took
        (so a run without them leaves the store and a saved folder as they were)."""
        taken = {t.name for t in self.measured}
        return tuple(t for t in TABLES if t.field is not None or t.name in taken)

    def table(self, name: str) -> pd.DataFrame:
        spec = table_spec(name)
        return to_frame(self.rows(name), spec.row, self.run)

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

    @property
    def failures(self) -> tuple[Failure, ...]:
        """Every measurement this run asked for and did not get, with its cause."""
        return collect(
            self.image_rows,
            self.distribution_rows,
            self.rebuild_rows,
            self.lint_statuses,
            self.step_failures,
            builder=self.run.builder,
        )

    def meta(self) -> dict[str, object]:
        """The run's envelope, claims and budgets, as ``run.json`` holds them."""
        return {
            "app": self.app,
            "title": self.title,
            "run": dataclasses.asdict(self.run),
            "claims": [dataclasses.asdict(c) for c in self.claims],
            "budgets": [dataclasses.asdict(b) for b in self.budgets],
            "failures": [dataclasses.asdict(f) for f in self.step_failures],
        }

    def save(self, directory: str | Path) -> Path:
        """Write every table as ``<name>.parquet`` plus ``run.json``, each file atomically."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for spec in self.written():
            write_parquet(out / f"{spec.name}.parquet", self.table(spec.name))
        body = json.dumps(self.meta(), indent=2)
        write_atomic(out / "run.json", lambda p: Path(p).write_text(body))
        return out


def declared(
    meta: dict[str, Any],
) -> tuple[tuple[DeclaredClaim, ...], tuple[Budget, ...], tuple[Failure, ...]]:
    """The claims, budgets and failed steps of a run record (what :meth:`Results.meta` wrote)."""
    return (
        tuple(DeclaredClaim(**c) for c in meta.get("claims", [])),
        tuple(Budget(**b) for b in meta.get("budgets", [])),
        tuple(Failure(**f) for f in meta.get("failures", [])),
    )
