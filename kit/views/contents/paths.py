"""One image's paths as a process in it would see them: a path names a file when it does after
the image's own symlinks are followed (``/lib/x86_64-linux-gnu/libc.so.6`` is in an image whose
``/lib`` links to ``usr/lib``), and a file has every name its image's directory links give it
(``/usr/lib/x/libc.so.6`` is also ``/lib/x/libc.so.6`` there). So two images that put a file
under different aliases of one directory — usrmerge against a scratch image that copied the
loader's paths — are not said to differ."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from kit.model.rows import FileRow

#: Symlinks followed while resolving one path before it counts as a loop (Linux's limit).
MAX_HOPS = 40


class Namespace:
    """The paths of one variant's image: its entries, its directories and its symlinks."""

    def __init__(self, rows: Iterable[FileRow]) -> None:
        self.entries: set[str] = set()
        self.links: dict[str, str] = {}
        self.dirs: set[str] = {"/"}
        for row in rows:
            self.entries.add(row.path)
            if row.kind == "symlink" and row.target is not None:
                self.links[row.path] = row.target
            parts = row.path.strip("/").split("/")
            self.dirs.update("/" + "/".join(parts[:i]) for i in range(1, len(parts)))
        self.resolve = cache(self._resolve)
        self._dir_links: dict[str, list[tuple[int, str]]] | None = None

    def _resolve(self, path: str) -> str | None:
        """``path`` with every symlink in it followed (None: a loop)."""
        todo = [p for p in path.split("/") if p not in ("", ".")]
        done: list[str] = []
        hops = 0
        while todo:
            part = todo.pop(0)
            if part == "..":
                done = done[:-1]
                continue
            here = "/" + "/".join([*done, part])
            target = self.links.get(here)
            if target is None:
                done.append(part)
                continue
            hops += 1
            if hops > MAX_HOPS:
                return None
            todo = [p for p in target.split("/") if p not in ("", ".")] + todo
            if target.startswith("/"):
                done = []
        return "/" + "/".join(done)

    def has(self, path: str) -> bool:
        """Whether the image has something at ``path``, a directory included (its last part is
        not followed: a symlink where the other image has a directory is still there)."""
        parent, _, name = path.rpartition("/")
        where = self.resolve(parent or "/")
        if where is None:
            return False
        located = f"{where.rstrip('/')}/{name}"
        return located in self.entries or located in self.dirs

    def aliases(self, path: str) -> list[str]:
        """``path`` and the names the image's links to directories give it."""
        if self._dir_links is None:
            # Indexed by the directory a link resolves to: a path is then looked up once per
            # directory above it, not tested against every link (the full image has ~90 such
            # links and ~100k paths). Each entry keeps its link's place among the image's links.
            self._dir_links = {}
            for order, link in enumerate(self.links):
                real = self.resolve(link)
                if real is not None and real != link and real in self.dirs:
                    self._dir_links.setdefault(real, []).append((order, link))
        found: list[tuple[int, str]] = []
        at = path.find("/", 1)
        while at != -1:  # every directory above ``path``: ``path`` starts with it and a slash
            for order, link in self._dir_links.get(path[:at], ()):
                found.append((order, link + path[at:]))
            at = path.find("/", at + 1)
        return [path, *(name for _, name in sorted(found))]

    def has_dir(self, path: str) -> bool:
        where = self.resolve(path)
        return where is not None and (where in self.dirs or where == "/")
