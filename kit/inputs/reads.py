"""What a variant's build can read from its build context, by its parsed Dockerfile: the sources
of its ``COPY``/``ADD`` (not ``--from`` a stage or an image, not URLs or heredocs) and of its
``RUN --mount`` binds that take no ``from``. The cache key hashes only those files, so an edit of
a sibling variant's Dockerfile (or of a file only another variant copies) does not re-measure
this variant.

A source is a path relative to the context (a leading ``/`` or ``./`` means the same), a folder
(everything below it), or a wildcard pattern; a pattern matches a path when it matches the path
or one of its parent folders. Wildcards are matched with ``fnmatch``, whose ``*`` also crosses
``/`` where Docker's does not: the selection can only be wider than what the build reads, never
narrower. Where the Dockerfile cannot tell, the whole context is read (:data:`WHOLE`): a source
with a variable in it, and a selection that holds or passes through a symbolic link (Docker
follows a link a source names, to a target anywhere in the context).
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable
from pathlib import Path

from kit.inputs.dockerfile import Dockerfile

#: The whole context: what a ``COPY . .`` reads, and the answer when the Dockerfile cannot tell.
WHOLE = ("",)
_GLOB = frozenset("*?[")


def _normal(path: str) -> str:
    """``./src/``, ``/src`` and ``src`` name one path; ``.`` and ``/`` the whole context."""
    clean = posixpath.normpath("/" + path.strip()).lstrip("/")
    return "" if clean in (".", "") else clean


def _mount_sources(file: Dockerfile) -> list[str]:
    """``RUN --mount`` binds from the context: type ``bind`` (the default) with no ``from``;
    their ``source`` (or ``src``) defaults to the context's root."""
    found = []
    for x in file.instructions:
        for key, value in x.flags:
            if key != "mount" or value is None:
                continue
            fields = dict(part.partition("=")[::2] for part in value.split(",") if part)
            if fields.get("type", "bind") == "bind" and "from" not in fields:
                found.append(fields.get("source", fields.get("src", "")))
    return found


def patterns(file: Dockerfile) -> tuple[str, ...]:
    """The context paths (or patterns) a build of ``file`` can read; :data:`WHOLE` when that
    is everything or cannot be told."""
    raw = [s.path for s in file.context_sources()] + _mount_sources(file)
    if any("$" in path for path in raw):
        return WHOLE  # a build arg or ENV decides the path
    found = tuple(sorted({_normal(path) for path in raw}))
    return WHOLE if "" in found else found


def _matches(path: str, pattern: str) -> bool:
    if pattern == "":
        return True
    if not _GLOB & set(pattern):
        return path == pattern or path.startswith(pattern + "/")
    pattern = pattern.replace("[^", "[!")  # Go's negated class, in fnmatch's spelling
    parts = path.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[:n]), pattern) for n in range(1, len(parts) + 1))


def _literal_parents(pattern: str) -> list[str]:
    """The folders a pattern names before its first wildcard (``a/b/*.js`` → ``a``, ``a/b``)."""
    parts = pattern.split("/")
    fixed = parts[: next((i for i, p in enumerate(parts) if _GLOB & set(p)), None)]
    return ["/".join(fixed[:n]) for n in range(1, len(fixed) + 1)]


def select(directory: Path, paths: Iterable[str], wanted: tuple[str, ...]) -> list[str]:
    """Of ``paths`` (the context as the engine receives it, relative), those ``wanted``
    (:func:`patterns`) reads; all of them where a link could lead elsewhere in the context."""
    every = list(paths)
    if wanted == WHOLE:
        return every
    chosen = [p for p in every if any(_matches(p, w) for w in wanted)]
    named = {parent for w in wanted for parent in _literal_parents(w)}
    if any((directory / p).is_symlink() for p in [*chosen, *named]):
        return every
    return chosen
