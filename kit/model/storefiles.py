"""The result store's files on disk: what a failed append leaves (nothing), where a damaged run
goes (``<store>/quarantine/<part>/``, with a ``REASON`` file), and the full check of
``kit store check``.

A damaged run is moved aside whole — its run record and every table part — so the rest of the
store loads exactly as if it had never been appended, and nothing is deleted: the files can be
looked at, repaired and moved back by hand.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from kit.errors import ResultsError, StoreError
from kit.model.tables import TABLES
from kit.util.locks import file_lock
from kit.util.units import fmt_bytes

log = logging.getLogger("kit")
QUARANTINE = "quarantine"
REASON = "REASON"


def free_bytes(path: Path) -> int | None:
    """Free space on the filesystem holding ``path`` (or its nearest existing parent)."""
    for candidate in (path, *path.parents):
        with contextlib.suppress(OSError):
            return shutil.disk_usage(candidate).free
    return None


def write_error(root: Path, exc: OSError, *, what: str = "the result store") -> StoreError:
    """The error for a write into ``root`` that failed: the store, the cause, the free space."""
    cause = exc.strerror or str(exc)
    return StoreError(
        f"cannot write to {what} {root}: {cause} ({fmt_bytes(free_bytes(root))} free there)",
        file=root,
        hint="free some space (or point --store / KIT_STORE elsewhere) and run again; "
        "nothing of this run was left in the store, and every earlier run is intact",
    )


def remove_partial(written: Iterable[Path], folders: Iterable[Path]) -> None:
    """Undo a failed append: the files it wrote, then the folders it made if they are empty."""
    for path in written:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: another run's parts are never touched


def part_files(root: Path, part: str, tables: Iterable[str]) -> list[Path]:
    """Every file of one stored run that exists: its run record and its table parts."""
    found = [root / "runs" / f"{part}.json"]
    found += [root / table / f"{part}.parquet" for table in tables]
    return [f for f in found if f.exists()]


def quarantine(root: Path, part: str, tables: Iterable[str], reason: str) -> Path | None:
    """Move every file of ``part`` under ``<root>/quarantine/<part>/`` with a REASON file.

    Returns the folder, or None when nothing could be moved (a read-only store: then the run is
    only left out of this load). Safe against another process doing the same at once.
    """
    files = part_files(root, part, tables)
    if not files:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = root / QUARANTINE / part
    if target.exists():
        target = root / QUARANTINE / f"{part}.{stamp}"
    moved = 0
    try:
        for path in files:
            dest = target / path.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):  # another reader moved it first
                os.replace(path, dest)
                moved += 1
        (target / REASON).write_text(f"{stamp}: {reason}\n")
    except OSError as exc:
        log.warning("store %s: cannot move the damaged run %s aside: %s", root, part, exc)
        return None if not moved else target
    return target


@dataclass(frozen=True)
class Finding:
    """One thing ``kit store check`` found: which file, what is wrong, what was done."""

    kind: str  # damaged | uncommitted | leftover | quarantined
    path: str  # relative to the store
    problem: str
    action: str

    def line(self) -> str:
        return f"{self.kind}: {self.path}: {self.problem} -> {self.action}"


def damaged_record(path: Path) -> str | None:
    """Why a run record cannot be read (None when it can)."""
    try:
        meta = json.loads(path.read_text())
        if not isinstance(meta, dict) or not isinstance(meta.get("run"), dict):
            return "not a run record (no `run` table)"
        for key in ("app", "title"):
            if not isinstance(meta.get(key), str):
                return f"not a run record (no `{key}`)"
    except (OSError, ValueError) as exc:
        return f"unreadable run record: {exc}"
    return None


def damaged_part(path: Path) -> str | None:
    """Why a table part cannot be read in full (None when it can)."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        return f"unreadable table part: {exc}"
    if len(frame) and "schema_version" not in frame.columns:
        return "a table part without a schema_version column"
    return None


def listed_quarantine(root: Path) -> list[Finding]:
    """What earlier loads or checks moved aside (still there until removed by hand)."""
    folder = root / QUARANTINE
    found = []
    for entry in sorted(folder.iterdir()) if folder.is_dir() else ():
        reason = entry / REASON
        said = reason.read_text().strip() if reason.exists() else "no reason recorded"
        found.append(
            Finding("quarantined", str(entry.relative_to(root)), said, "kept for inspection")
        )
    return found


def check_runs(root: Path) -> tuple[list[Finding], set[str]]:
    """Every committed run read in full; a damaged one moved aside. Also the damaged parts."""
    found: list[Finding] = []
    damaged: set[str] = set()
    tables = [t.name for t in TABLES]
    for record in sorted((root / "runs").glob("[!.]*.json")):
        part = record.stem
        problems = [("runs/" + record.name, p) for p in [damaged_record(record)] if p]
        for spec in TABLES:
            path = root / spec.name / f"{part}.parquet"
            rel = f"{spec.name}/{path.name}"
            if not path.exists():
                if spec.required:
                    problems.append((rel, "missing from a committed run"))
            elif problem := damaged_part(path):
                problems.append((rel, problem))
        if problems:
            reason = "; ".join(f"{rel}: {why}" for rel, why in problems)
            where = quarantine(root, part, tables, reason)
            damaged.add(part)
            action = f"run moved to {where.relative_to(root)}" if where else "left in place"
            found += [Finding("damaged", rel, why, action) for rel, why in problems]
    return found, damaged


def check_strays(root: Path) -> list[Finding]:
    """Table parts no run record commits (moved aside) and temp files of a crash (removed).
    Only safe under the store's lock: otherwise an append in progress looks the same."""
    found = []
    committed = {r.stem for r in (root / "runs").glob("[!.]*.json")}
    for spec in TABLES:
        folder = root / spec.name
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            rel = f"{spec.name}/{path.name}"
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
                found.append(Finding("leftover", rel, "a temp file of a crash", "removed"))
            elif path.suffix == ".parquet" and path.stem not in committed:
                where = quarantine(root, path.stem, [spec.name], "no run record")
                action = f"moved to {where.relative_to(root)}" if where else "left in place"
                found.append(
                    Finding("uncommitted", rel, "no run record (a crash mid-append)", action)
                )
    return found


def check(root: Path, lock_timeout_s: float) -> list[Finding]:
    """Read every file of the store under its lock (so no append is half done): damaged runs are
    moved aside, parts no run record commits (a crash mid-append) too, temp files a crash left
    removed; what earlier loads moved aside is listed. Returns what was found."""
    if not root.is_dir():
        raise ResultsError(f"no result store at {root}", file=root)
    with file_lock(root / ".lock", what=f"the result store {root}", timeout_s=lock_timeout_s):
        found, _ = check_runs(root)
        found += check_strays(root)
    return found + listed_quarantine(root)
