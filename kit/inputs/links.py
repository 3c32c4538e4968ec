"""Symbolic links a ``COPY``/``ADD`` source follows out of the build context.

The engine never reads outside the context: it resolves a link a source names inside the
context, as if the context were the root (a link to ``/etc/x`` reads ``<context>/etc/x``, ``..``
stops at the context's top), under either builder. A link to a file outside therefore finds
nothing there, and the build fails in the builder's words ("file not found in build context",
``"/outside": not found``), which name neither the link nor where it points. Before building,
the kit resolves each literal source the same way; where that follows a link pointing outside
the context and ends on nothing, it names the link and its target instead (:func:`dangling`).
Sources with wildcards or variables are left to the engine.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from kit.inputs.dockerfile import Dockerfile

_HOPS = 255  # as many links as the engine follows before it calls it a loop


@dataclass(frozen=True)
class LinkOut:
    """A source whose resolution in the context followed ``link`` (relative to the context),
    which points to ``target`` outside it, and found nothing."""

    line: int
    keyword: str
    source: str
    link: str
    target: str


def _scoped(root: Path, path: str) -> tuple[str, list[tuple[str, str]]]:
    """``path`` resolved inside ``root`` as the engine resolves it (the context as ``/``): the
    resolved path, relative, and every link followed on the way with its target as written."""
    todo = [p for p in path.split("/") if p not in ("", ".")]
    done: list[str] = []
    followed: list[tuple[str, str]] = []
    hops = 0
    while todo:
        part = todo.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        here = root.joinpath(*done, part)
        if here.is_symlink() and hops < _HOPS:
            hops += 1
            target = os.readlink(here)
            followed.append(("/".join([*done, part]), target))
            if target.startswith("/"):
                done = []
            todo = [p for p in target.split("/") if p not in ("", ".")] + todo
            continue
        done.append(part)
    return "/".join(done), followed


def _outside(root: Path, link: str, target: str) -> bool:
    """Whether ``link``'s target, read as the host reads it, lies outside ``root``."""
    base = posixpath.dirname(str(root / link))
    real = posixpath.normpath(posixpath.join(base, target))
    top = posixpath.normpath(str(root))
    return real != top and not real.startswith(top + "/")


def dangling(directory: Path, file: Dockerfile) -> list[LinkOut]:
    """The literal context sources of ``file`` that resolve, through a link pointing out of
    ``directory``, to nothing in it: the builds that would fail with "not found"."""
    root = directory.resolve()
    found = []
    for source in file.context_sources():
        if "$" in source.path or set("*?[") & set(source.path):
            continue
        resolved, followed = _scoped(root, source.path.strip())
        if os.path.lexists(root / resolved) if resolved else True:
            continue
        out = [(link, target) for link, target in followed if _outside(root, link, target)]
        if out:
            link, target = out[0]
            found.append(LinkOut(source.line, source.keyword, source.path, link, target))
    return found
