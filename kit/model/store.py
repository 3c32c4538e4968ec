"""The result store: every run of every app, appended under one directory.

Layout: ``<root>/<table>/<run_id>-<app>.parquet`` (one parquet dataset per table, one part per
run and app) and ``<root>/runs/<run_id>-<app>.json``, the run's envelope and claims. The JSON is
written last and is the commit record: parts without one (a crash mid-append) are not read, so
a crash never leaves anything that breaks the next load, and every file is itself written
atomically. An append that cannot write (a full disk) removes what it wrote and raises a
:class:`~kit.errors.StoreError`. Appends hold a lock on the store; readers need none.

A damaged run (a record or part that cannot be read) is moved aside whole, to
``<root>/quarantine/<part>/``, with a warning naming it; the rest of the store loads as before.
:meth:`Store.check` reads every file (``kit store check``).

Rows are read back normalised to the current schema: columns an older kit did not write are
added with their defaults, and each row keeps the ``schema_version`` it was written with.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kit.errors import ResultsError
from kit.model.budgets import Budget
from kit.model.claims import DeclaredClaim
from kit.model.failures import Failure
from kit.model.results import Results, declared
from kit.model.rows import RunInfo
from kit.model.storefiles import Finding, check, quarantine, remove_partial, write_error
from kit.model.tables import (
    RUN_FIELDS,
    TABLES,
    Table,
    blank_run,
    default,
    from_frame,
    normalise,
    results_fields,
    table_spec,
    to_frame,
    write_atomic,
    write_parquet,
)
from kit.util.locks import file_lock

log = logging.getLogger("kit")
LOCK_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class StoredRun:
    """One committed (run, app) in the store."""

    run: RunInfo
    app: str
    title: str
    claims: tuple[DeclaredClaim, ...]
    budgets: tuple[Budget, ...]
    failures: tuple[Failure, ...]  # failed steps no table holds a row for
    steps: Mapping[str, str]  # app-level steps (floor, payoffs) by the cache key of their inputs
    part: str  # the file stem shared by its parts: "<run_id>-<app>"


class Store:
    """Append-only result store under ``root`` (created on first append)."""

    def __init__(self, root: str | Path = "results", *, lock_timeout_s: float = LOCK_TIMEOUT_S):
        self.root = Path(root)
        self.lock_timeout_s = lock_timeout_s
        # A committed part never changes, so one read per store object is enough.
        self._loaded: dict[str, Results] = {}
        self._damaged: set[str] = set()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # -- writing ------------------------------------------------------------------------------
    def append(self, results: Results, *, steps: Mapping[str, str] | None = None) -> str:
        """Add one run of one app; returns the part name. Atomic per file, committed last;
        all or nothing: a write that fails (a full disk) leaves none of the run's files."""
        part = f"{results.run.run_id}-{results.app}"
        meta = {**results.meta(), "steps": dict(steps or {})}
        made = [d for d in (self.root, *self.root.parents) if not d.exists()]
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with file_lock(
                self.root / ".lock",
                what=f"the result store {self.root}",
                timeout_s=self.lock_timeout_s,
            ):
                if (self.root / "runs" / f"{part}.json").exists():
                    raise ResultsError(f"run {part} is already in the store", file=self.root)
                self._write(results, part, meta, made)
        except OSError as exc:
            if self.root in made:  # the store did not exist: it does not now either
                remove_partial([self.root / ".lock"], made)
            raise write_error(self.root, exc) from exc
        return part

    def _write(self, results: Results, part: str, meta: dict[str, Any], made: list[Path]) -> None:
        written: list[Path] = []
        folders = [self.root / spec.name for spec in results.written()] + [self.root / "runs"]
        made += [f for f in folders if not f.exists()]
        try:
            for spec in results.written():
                (self.root / spec.name).mkdir(exist_ok=True)
                path = self.root / spec.name / f"{part}.parquet"
                written.append(path)
                write_parquet(path, results.table(spec.name))
            (self.root / "runs").mkdir(exist_ok=True)
            record = self.root / "runs" / f"{part}.json"
            written.append(record)
            write_atomic(record, lambda p: Path(p).write_text(json.dumps(meta, indent=2)))
        except BaseException:
            # Ctrl-C included: nothing half-written stays (the lock file, shared, is kept).
            remove_partial(written, [d for d in made if d != self.root])
            raise

    # -- reading ------------------------------------------------------------------------------
    def runs(self) -> tuple[StoredRun, ...]:
        """Every committed (run, app), oldest first; a damaged record is moved aside."""
        found = []
        for path in sorted((self.root / "runs").glob("[!.]*.json")):
            try:
                meta = json.loads(path.read_text())
                raw = meta["run"]
                values = {k: raw.get(k, default(f)) for k, f in RUN_FIELDS.items()}
                claims, budgets, failures = declared(meta)
                found.append(
                    StoredRun(
                        run=RunInfo(**values),
                        app=str(meta["app"]),
                        title=str(meta["title"]),
                        claims=claims,
                        budgets=budgets,
                        failures=failures,
                        steps=dict(meta.get("steps") or {}),
                        part=path.stem,
                    )
                )
            except FileNotFoundError:
                continue  # moved aside by another reader meanwhile
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                self._set_aside(path.stem, f"corrupt run record runs/{path.name}: {exc}")
        intact = (r for r in found if r.part not in self._damaged)
        return tuple(sorted(intact, key=lambda r: (r.run.timestamp_utc, r.part)))

    def _set_aside(self, part: str, reason: str) -> None:
        """Move a damaged run out of the way, and never read it again through this object."""
        self._damaged.add(part)
        self._loaded.pop(part, None)
        where = quarantine(self.root, part, (t.name for t in TABLES), reason)
        done = f"moved to {where}" if where else "left out (it could not be moved)"
        log.warning("result store %s: run %s is damaged (%s); %s", self.root, part, reason, done)

    def runs_frame(self) -> pd.DataFrame:
        """One row per committed (run, app): its envelope."""
        rows = [{"app": r.app, "title": r.title, **dataclasses.asdict(r.run)} for r in self.runs()]
        return pd.DataFrame(rows, columns=["app", "title", *RUN_FIELDS])

    def _parts(self, spec: Table, parts: Iterator[str]) -> pd.DataFrame:
        frames = []
        for part in parts:
            if part in self._damaged:
                continue
            path = self.root / spec.name / f"{part}.parquet"
            if not path.exists():
                if spec.required:
                    self._set_aside(part, f"its committed run lacks {spec.name}/{path.name}")
                continue
            try:
                frame = normalise(pd.read_parquet(path), spec.row, file=path)
            except Exception as exc:  # pyarrow raises several types for a damaged file
                self._set_aside(part, f"corrupt store file {spec.name}/{path.name}: {exc}")
                continue
            frames.append(frame)
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
        wanted = ", ".join(x for x in (run_id and f"run {run_id}", app and f"app {app}") if x)
        for stored in reversed(matching):
            if (loaded := self._load(stored)) is not None:
                return loaded
        if matching:
            raise ResultsError(
                f"the store's {wanted or 'runs'} are damaged and were moved aside",
                file=self.root / "quarantine",
            )
        raise ResultsError(f"no {wanted or 'runs'} in the store", file=self.root)

    def _load(self, stored: StoredRun) -> Results | None:
        """Every table of one run; None when one of its files is damaged (then moved aside)."""
        if stored.part in self._loaded:
            return self._loaded[stored.part]
        tables = results_fields(
            (spec, from_frame(self._parts(spec, iter([stored.part])), spec.row)) for spec in TABLES
        )
        if stored.part in self._damaged:
            return None
        loaded = Results(
            run=stored.run,
            app=stored.app,
            title=stored.title,
            claims=stored.claims,
            budgets=stored.budgets,
            step_failures=stored.failures,
            **tables,
        )
        self._loaded[stored.part] = loaded
        return loaded

    def find(
        self,
        app: str,
        *,
        variant_key: tuple[str, str] | None = None,
        usable: Callable[[pd.Series], bool] | None = None,
    ) -> Results | None:
        """The latest intact run of ``app`` holding an ok row of ``variant`` with ``cache_key``
        (and, with ``usable``, a row it accepts: e.g. one whose image is still there)."""
        for stored in reversed(self.runs()):
            if stored.app != app:
                continue
            if variant_key is None:
                if (loaded := self._load(stored)) is not None:
                    return loaded
                continue
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
            if usable is not None:
                hit = hit[[usable(row) for _, row in hit.iterrows()]] if len(hit) else hit
            if len(hit) and (loaded := self._load(stored)) is not None:
                return loaded
        return None

    def find_step(
        self, app: str, step: str, key: str, usable: Callable[[Results], bool] | None = None
    ) -> Results | None:
        """The latest intact run of ``app`` that measured ``step`` from exactly these inputs."""
        for stored in reversed(self.runs()):
            if stored.app == app and stored.steps.get(step) == key:
                loaded = self._load(stored)
                if loaded is not None and (usable is None or usable(loaded)):
                    return loaded
        return None

    def check(self) -> list[Finding]:
        """Read every file, under the store's lock; see :func:`~kit.model.storefiles.check`."""
        self._loaded.clear()
        return check(self.root, self.lock_timeout_s)
