"""``batch.json``, a batch's state: one record per cell (notebook, parameters, output, status,
error, started and finished UTC, seconds), and the phases ``make demo`` times around the cells
(venv, engine and bases before them; the report after them). It is only ever replaced whole, so
a reader — or a killed batch — sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kit.errors import BatchError
from kit.runs.cell import CellOutcome, utc_now
from kit.runs.matrix import Cell
from kit.util.locks import file_lock

STATE = "batch.json"
SCHEMA = 1


class BatchState:
    """``batch.json``: one record per cell, keyed by the cell's name."""

    def __init__(
        self, path: Path, run_id: str, matrix: Path, phases: Mapping[str, float] | None = None
    ) -> None:
        self.path = path
        self.cells: dict[str, dict[str, Any]] = {}
        saved: dict[str, Any] = {}
        if path.exists():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                self.cells = dict(saved["cells"])
            except (ValueError, KeyError, TypeError) as exc:
                raise BatchError(
                    f"the batch state file cannot be read: {exc}",
                    file=path,
                    hint="it is only ever replaced whole; remove it to run every cell again",
                ) from exc
        self.head: dict[str, Any] = {"schema": SCHEMA, "run_id": run_id, "matrix": str(matrix)}
        # What ran before the batch (venv, engine, bases: ``make demo`` times them), in seconds.
        self.head["phases"] = dict(phases if phases is not None else saved.get("phases") or {})

    def record(self, cell: Cell, output: Path, **fields: Any) -> None:
        entry = self.cells.setdefault(cell.name, {})
        entry.update(notebook=str(cell.notebook), parameters=dict(cell.parameters))
        entry.update(output=str(output), **fields)

    def finish(self, cell: Cell, output: Path, outcome: CellOutcome) -> None:
        error = outcome.error
        self.record(
            cell,
            output,
            status=outcome.status,
            error=None if error is None else vars(error),
            started_utc=outcome.started_utc,
            finished_utc=outcome.finished_utc,
            seconds=outcome.seconds,
        )

    def save(self) -> None:
        body = json.dumps({**self.head, "updated_utc": utc_now(), "cells": self.cells}, indent=2)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(body + "\n", encoding="utf-8")
        # A reader (or a killed batch) sees the old file or the new one, never half of one.
        os.replace(tmp, self.path)


#: Phases timed after the cells (the others, venv, engine and bases, run before them).
AFTER_CELLS = ("report",)


def batch_timings(run_dir: Path) -> list[tuple[str, float]]:
    """Where a batch's wall time went: the phases timed around it (``make demo``'s venv,
    engine, bases and report) and each cell, in the order they ran; [] without a state."""
    try:
        saved = json.loads((run_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    phases = {str(k): float(v) for k, v in (saved.get("phases") or {}).items()}
    cells = [
        (str(name), float(entry["seconds"]))
        for name, entry in (saved.get("cells") or {}).items()
        if isinstance(entry, dict) and entry.get("seconds") is not None
    ]
    before = [(k, v) for k, v in phases.items() if k not in AFTER_CELLS]
    return before + cells + [(k, v) for k, v in phases.items() if k in AFTER_CELLS]


def record_phase(run_dir: Path, name: str, seconds: float) -> None:
    """Add one timed phase to a finished batch's ``batch.json`` (the report's, say)."""
    path = run_dir / STATE
    with file_lock(run_dir / "batch.lock", what=f"the batch run dir {run_dir}", timeout_s=30):
        saved = json.loads(path.read_text(encoding="utf-8"))
        saved["phases"] = {**(saved.get("phases") or {}), name: round(seconds, 1)}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def breakdown(timings: list[tuple[str, float]]) -> str:
    """One line: each phase's seconds and the total."""
    total = sum(t for _, t in timings)
    return ", ".join(f"{k} {t:.0f} s" for k, t in timings) + f"; total {total:.0f} s"
