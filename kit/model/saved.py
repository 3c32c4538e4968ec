"""A run saved with :meth:`Results.save` — a folder of ``<table>.parquet`` files and its
``run.json`` — read back; or the latest run of a result store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from kit.errors import ResultsError
from kit.model.results import Results, declared
from kit.model.rows import RunInfo
from kit.model.store import Store
from kit.model.tables import RUN_FIELDS, TABLES, from_frame, results_fields


def load_results(directory: str | Path) -> Results:
    """Read back what :meth:`Results.save` wrote, or the latest run in a result store."""
    src = Path(directory)
    if not (src / "run.json").exists() and (src / "runs").is_dir():
        return Store(src).results()
    try:
        meta = json.loads((src / "run.json").read_text())
        run = RunInfo(**{k: meta["run"][k] for k in RUN_FIELDS if k in meta["run"]})
        app, title = str(meta["app"]), str(meta["title"])
        claims, budgets, failures = declared(meta)
        tables = results_fields(
            (spec, from_frame(pd.read_parquet(src / f"{spec.name}.parquet"), spec.row))
            for spec in TABLES
            if spec.required or (src / f"{spec.name}.parquet").exists()
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResultsError(f"cannot read results: {exc}", file=src) from exc
    return Results(
        run, app, title, claims=claims, budgets=budgets, step_failures=failures, **tables
    )
