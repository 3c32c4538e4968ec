"""Comparisons remembered: which paths one variant has that another lacks, kept on disk so that a
rerun whose images are unchanged does not work them out again (a variant's namespace and every
alias of its ~100k paths: seconds per pair, and notebook 01 shows five pairs).

A remembered selection is found by a key made of everything it derives from: the digest of each
variant's file rows (every path, size, kind and link target, in order) and the digest of the code
that derives it (this folder's ``compare.py``, ``paths.py`` and this module). A changed file list,
or changed comparison code, is another key, so a stale selection is never found. Only names are
kept (paths, and the groups' sums): the rows shown are the current run's own, looked up by path.

The views are handed a :class:`~kit.model.results.Results`, not its store, and the key says what
the selection is of, so it lives in the kit's state folder (``KIT_STATE_DIR``), beside every
store: two stores holding the same images share it. The newest :data:`KEEP` are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import weakref
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from kit.config import state_dir
from kit.model.results import Results
from kit.model.rows import FileRow

#: Files the key's code digest covers: what a selection is derived by, and how it is kept.
CODE = ("compare.py", "paths.py", "memo.py")
#: Remembered selections kept on disk (one per pair of file lists; a few MB each at most).
KEEP = 64
#: Selections kept in this process too (a notebook asks for the same pair several times).
IN_PROCESS = 16

Selection = dict[str, Any]
#: What a selection holds (``compare.select``); a file lacking one is worked out again.
_FIELDS = ("only", "extra", "groups")

_memory: dict[str, Selection] = {}
# Digests of each Results' variants, by the object's id; the weak reference tells whether the
# object behind an id is still the one digested (ids are reused once an object is gone).
_digests: dict[int, tuple[weakref.ref[Results], dict[str, str]]] = {}


def folder() -> Path:
    return state_dir() / "memo" / "contents"


@cache
def code_digest() -> str:
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in CODE:
        h.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    return h.hexdigest()


def rows_digest(rows: Iterable[FileRow]) -> str:
    """The digest of one variant's file rows: every field a comparison reads."""
    text = "\n".join(f"{f.path}\0{f.bytes}\0{f.kind}\0{f.target}" for f in rows)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def variant_digest(results: Results, variant: str) -> str:
    """:func:`rows_digest` of ``variant``'s file rows in ``results``, worked out once per
    results object (its rows cannot change: it is frozen)."""
    entry = _digests.get(id(results))
    if entry is None or entry[0]() is not results:
        for key in [k for k, (ref, _) in _digests.items() if ref() is None]:
            del _digests[key]
        entry = (weakref.ref(results), {})
        _digests[id(results)] = entry
    found = entry[1]
    if variant not in found:
        found[variant] = rows_digest(f for f in results.file_rows if f.variant == variant)
    return found[variant]


def key(digests: Sequence[str]) -> str:
    return hashlib.sha256("\0".join([code_digest(), *digests]).encode()).hexdigest()


def _load(path: Path) -> Selection | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent, or cut short by a crash: work it out again
        return None
    # Valid JSON of another shape (a hand edit, another format) is as good as absent.
    shaped = isinstance(found, dict) and all(isinstance(found.get(k), list) for k in _FIELDS)
    return found if shaped else None


def _store(path: Path, selection: Selection) -> None:
    """Written whole or not at all (a temp file renamed), then the oldest beyond :data:`KEEP`
    removed; a folder that cannot be written only costs the next run the work."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(selection, out)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        kept = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)


def remembered(digests: Sequence[str], work: Callable[[], Selection]) -> Selection:
    """The selection for ``digests`` (what it derives from): remembered, else ``work()``'s,
    then remembered."""
    name = key(digests)
    found = _memory.get(name)
    if found is None:
        path = folder() / f"{name}.json"
        found = _load(path)
        if found is None:
            found = work()
            _store(path, found)
        if len(_memory) >= IN_PROCESS:
            _memory.pop(next(iter(_memory)))
        _memory[name] = found
    return found


def forget() -> None:
    """Drop what this process remembers (the disk's selections stay): for tests."""
    _memory.clear()
    _digests.clear()
