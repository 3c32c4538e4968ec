"""The result store: every run of every app, appended under one directory.

Layout: ``<root>/<table>/<run_id>-<app>.parquet`` (one parquet dataset per table, one part per
run and app) and ``<root>/runs/<run_id>-<app>.json``, the run's envelope and claims. The JSON is
written last and is the commit record: parts without one (a crash mid-append) are not read, so
a crash never leaves anything that breaks the next load, and every file is itself written
atomically. Appends hold a lock on the store; readers need none.

Rows are read back normalised to the current schema: columns an older kit did not write are
added with their defaults, and each row keeps the ``schema_version`` it was written with.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kit.errors import ResultsError
from kit.model.budgets import Budget
from kit.model.claims import DeclaredClaim
from kit.model.results import Results
from kit.model.rows import RunInfo
from kit.model.tables import (
    RUN_FIELDS,
    TABLES,
    Table,
    blank_run,
    default,
    from_frame,
    table_spec,
    to_frame,
    write_atomic,
    write_parquet,
)
from kit.util.locks import file_lock

LOCK_TIMEOUT_S = 120.0
#: Renamed columns, by the schema version that renamed them (none yet; the place for them).
_RENAMED: dict[int, dict[str, str]] = {}


@dataclass(frozen=True)
class StoredRun:
    """One committed (run, app) in the store."""

    run: RunInfo
    app: str
    title: str
    claims: tuple[DeclaredClaim, ...]
    budgets: tuple[Budget, ...]
    steps: Mapping[str, str]  # app-level steps (floor, payoffs) by the cache key of their inputs
    part: str  # the file stem shared by its parts: "<run_id>-<app>"


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


class Store:
    """Append-only result store under ``root`` (created on first append)."""

    def __init__(self, root: str | Path = "results", *, lock_timeout_s: float = LOCK_TIMEOUT_S):
        self.root = Path(root)
        self.lock_timeout_s = lock_timeout_s
        # A committed part never changes, so one read per store object is enough.
        self._loaded: dict[str, Results] = {}

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # -- writing ------------------------------------------------------------------------------
    def append(self, results: Results, *, steps: Mapping[str, str] | None = None) -> str:
        """Add one run of one app; returns the part name. Atomic per file, committed last."""
        part = f"{results.run.run_id}-{results.app}"
        meta = {**results.meta(), "steps": dict(steps or {})}
        self.root.mkdir(parents=True, exist_ok=True)
        with file_lock(
            self.root / ".lock", what=f"the result store {self.root}", timeout_s=self.lock_timeout_s
        ):
            if (self.root / "runs" / f"{part}.json").exists():
                raise ResultsError(f"run {part} is already in the store", file=self.root)
            for spec in TABLES:
                frame = results.table(spec.name)
                folder = self.root / spec.name
                folder.mkdir(exist_ok=True)
                write_parquet(folder / f"{part}.parquet", frame)
            (self.root / "runs").mkdir(exist_ok=True)
            write_atomic(
                self.root / "runs" / f"{part}.json",
                lambda p: Path(p).write_text(json.dumps(meta, indent=2)),
            )
        return part

    # -- reading ------------------------------------------------------------------------------
    def runs(self) -> tuple[StoredRun, ...]:
        """Every committed (run, app), oldest first."""
        found = []
        for path in sorted((self.root / "runs").glob("[!.]*.json")):
            try:
                meta = json.loads(path.read_text())
                raw = meta["run"]
                values = {k: raw.get(k, default(f)) for k, f in RUN_FIELDS.items()}
                found.append(
                    StoredRun(
                        run=RunInfo(**values),
                        app=str(meta["app"]),
                        title=str(meta["title"]),
                        claims=tuple(DeclaredClaim(**c) for c in meta.get("claims", [])),
                        budgets=tuple(Budget(**b) for b in meta.get("budgets", [])),
                        steps=dict(meta.get("steps") or {}),
                        part=path.stem,
                    )
                )
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ResultsError(
                    f"corrupt run record in the store: {exc}",
                    file=path,
                    hint="move the file aside to load the rest (its run's rows go with it)",
                ) from exc
        return tuple(sorted(found, key=lambda r: (r.run.timestamp_utc, r.part)))

    def runs_frame(self) -> pd.DataFrame:
        """One row per committed (run, app): its envelope."""
        rows = [{"app": r.app, "title": r.title, **dataclasses.asdict(r.run)} for r in self.runs()]
        return pd.DataFrame(rows, columns=["app", "title", *RUN_FIELDS])

    def _parts(self, spec: Table, parts: Iterator[str]) -> pd.DataFrame:
        frames = []
        for part in parts:
            path = self.root / spec.name / f"{part}.parquet"
            if not path.exists():
                if spec.required:
                    raise ResultsError(f"the store lacks {spec.name} of run {part}", file=path)
                continue
            try:
                frame = pd.read_parquet(path)
            except Exception as exc:  # pyarrow raises several types for a damaged file
                raise ResultsError(
                    f"corrupt store file: {exc}",
                    file=path,
                    hint=f"move it and runs/{part}.json aside to load the rest of the store",
                ) from exc
            frames.append(normalise(frame, spec.row, file=path))
        empty = to_frame((), spec.row, blank_run())
        frames = [f for f in frames if len(f)]
        if not frames:
            return empty
        joined = pd.concat(frames, ignore_index=True)
        return joined[list(empty.columns)]

    def table(self, name: str) -> pd.DataFrame:
        """Every committed row of one table, with its envelope columns."""
        spec = table_spec(name)
        return self._parts(spec, (r.part for r in self.runs()))

    def results(self, run_id: str | None = None, app: str | None = None) -> Results:
        """One stored run of one app, as :class:`Results` (the latest matching when unnamed)."""
        matching = [
            r
            for r in self.runs()
            if (run_id is None or r.run.run_id == run_id) and (app is None or r.app == app)
        ]
        if not matching:
            wanted = ", ".join(x for x in (run_id and f"run {run_id}", app and f"app {app}") if x)
            raise ResultsError(f"no {wanted or 'runs'} in the store", file=self.root)
        return self._load(matching[-1])

    def _load(self, stored: StoredRun) -> Results:
        if stored.part in self._loaded:
            return self._loaded[stored.part]
        tables = {
            spec.field: from_frame(self._parts(spec, iter([stored.part])), spec.row)
            for spec in TABLES
        }
        loaded = Results(
            run=stored.run,
            app=stored.app,
            title=stored.title,
            claims=stored.claims,
            budgets=stored.budgets,
            **tables,
        )
        self._loaded[stored.part] = loaded
        return loaded

    def find(self, app: str, *, variant_key: tuple[str, str] | None = None) -> Results | None:
        """The latest run of ``app`` holding an ok row of ``variant`` with ``cache_key``."""
        for stored in reversed(self.runs()):
            if stored.app != app:
                continue
            if variant_key is None:
                return self._load(stored)
            variant, key = variant_key
            images = (
                self._loaded[stored.part].images
                if stored.part in self._loaded
                else self._parts(table_spec("images"), iter([stored.part]))
            )
            hit = images[
                (images["variant"] == variant)
                & (images["status"] == "ok")
                & (images["cache_key"] == key)
            ]
            if len(hit):
                return self._load(stored)
        return None

    def find_step(self, app: str, step: str, key: str) -> Results | None:
        """The latest run of ``app`` that measured ``step`` from exactly these inputs."""
        for stored in reversed(self.runs()):
            if stored.app == app and stored.steps.get(step) == key:
                return self._load(stored)
        return None


def load_results(directory: str | Path) -> Results:
    """Read back what :meth:`Results.save` wrote, or the latest run in a result store."""
    src = Path(directory)
    if not (src / "run.json").exists() and (src / "runs").is_dir():
        return Store(src).results()
    try:
        meta = json.loads((src / "run.json").read_text())
        run = RunInfo(**{k: meta["run"][k] for k in RUN_FIELDS if k in meta["run"]})
        app, title = str(meta["app"]), str(meta["title"])
        claims = tuple(DeclaredClaim(**c) for c in meta.get("claims", []))
        budgets = tuple(Budget(**b) for b in meta.get("budgets", []))
        tables = {}
        for spec in TABLES:
            path = src / f"{spec.name}.parquet"
            if spec.required or path.exists():
                tables[spec.field] = from_frame(pd.read_parquet(path), spec.row)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResultsError(f"cannot read results: {exc}", file=src) from exc
    return Results(run=run, app=app, title=title, claims=claims, budgets=budgets, **tables)
