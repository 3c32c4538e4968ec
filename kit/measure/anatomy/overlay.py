"""Stacking an image's layers one by one with overlay semantics, scoring each layer's leaves the
way dive does as it goes: the tree and the per-path sums that :mod:`kit.measure.anatomy.layers`
turns into file counts, efficiency and wasted bytes (the rules, and where the kit and dive differ,
are told there)."""

from __future__ import annotations

import posixpath
from typing import Any

from kit.measure.anatomy.layertar import DIR, LayerTar

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
_META = ".wh..wh."  # aufs bookkeeping (``.wh..wh.plnk`` …): not files of the image


class _Dir:
    """A directory of the stacked tree; a non-directory is just its size (an int)."""

    __slots__ = ("children", "size")

    def __init__(self, size: int = 0) -> None:
        self.size = size
        self.children: dict[str, _Dir | int] = {}


def _walk(node: _Dir | int) -> tuple[int, int]:
    """(non-directories, bytes) of a subtree, the directories' own tar sizes included."""
    files, total, stack = 0, 0, [node]
    while stack:
        item = stack.pop()
        if isinstance(item, _Dir):
            total += item.size
            stack.extend(item.children.values())
        else:
            files += 1
            total += item
    return files, total


class Overlay:
    """The image's file tree as the layers so far stack up, with a count of its files."""

    def __init__(self) -> None:
        self.root = _Dir()
        self.files = 0

    def get(self, path: str) -> _Dir | int | None:
        node: _Dir | int = self.root
        for part in path.split("/"):
            if not isinstance(node, _Dir) or part not in node.children:
                return None
            node = node.children[part]
        return node

    def _parent(self, path: str) -> tuple[_Dir, str]:
        *dirs, name = path.split("/")
        node = self.root
        for part in dirs:
            child = node.children.get(part)
            if not isinstance(child, _Dir):
                # A parent the tar does not list, or a file a directory replaces.
                if child is not None:
                    self.files -= 1
                child = node.children[part] = _Dir()
            node = child
        return node, name

    def remove(self, path: str) -> None:
        parent = self.get(posixpath.dirname(path)) if "/" in path else self.root
        if isinstance(parent, _Dir):
            gone = parent.children.pop(posixpath.basename(path), None)
            if gone is not None:
                self.files -= _walk(gone)[0]

    def clear(self, path: str) -> None:
        node = self.get(path) if path else self.root
        if isinstance(node, _Dir):
            self.files -= sum(_walk(child)[0] for child in node.children.values())
            node.children = {}

    def put(self, path: str, kind: str, size: int) -> None:
        parent, name = self._parent(path)
        old = parent.children.get(name)
        if kind == DIR:
            if isinstance(old, _Dir):
                old.size = size  # a directory listed again keeps what is below it
                return
            if old is not None:
                self.files -= 1
            parent.children[name] = _Dir(size)
            return
        if isinstance(old, _Dir):
            self.files -= _walk(old)[0]
        if not isinstance(old, int):
            self.files += 1
        parent.children[name] = size


def _hidden(path: str) -> bool:
    return path.startswith(_META) or f"/{_META}" in path


def stack_layer(
    overlay: Overlay, scan: LayerTar, index: int, paths: dict[str, list[Any]]
) -> tuple[int, int, int]:
    """Score one layer's leaves dive's way, then stack it; return (added, modified, deleted)."""
    before = overlay.files
    visible = [path for path in scan.entries if not _hidden(path)]
    parents: set[str] = set()
    for path in visible:
        up = path.rpartition("/")[0]
        while up and up not in parents:
            parents.add(up)
            up = up.rpartition("/")[0]

    def score(path: str, size: int) -> None:
        seen = paths.get(path)
        if seen is None:
            paths[path] = [size, size, (index,)]
        else:
            seen[0] += size
            seen[1] = min(seen[1], size)
            seen[2] += (index,)

    opaque = [
        path.rpartition("/")[0]
        for path in scan.entries
        if path == OPAQUE or path.endswith("/" + OPAQUE)
    ]
    whiteouts: list[str] = []
    puts: list[tuple[str, str, int]] = []
    added = modified = 0
    for path in visible:
        kind, size = scan.entries[path]
        parent, slash, name = path.rpartition("/")
        if name.startswith(WHITEOUT):
            target = parent + slash + name[len(WHITEOUT) :]
            whiteouts.append(target)
            if path not in parents:
                below = overlay.get(target)
                score(target, _walk(below)[1] if isinstance(below, _Dir) else 0)
            continue
        if path not in parents:
            score(path, size)
        if kind != DIR:
            if isinstance(overlay.get(path), int):
                modified += 1
            else:
                added += 1
        puts.append((path, kind, size))
    # Opaque markers and whiteouts speak of the layers below, so they go before this layer's own
    # entries, whatever their order in the tar.
    for path in opaque:
        overlay.clear(path)
    for path in whiteouts:
        overlay.remove(path)
    for path, kind, size in puts:
        overlay.put(path, kind, size)
    return added, modified, max(0, before + added - overlay.files)
