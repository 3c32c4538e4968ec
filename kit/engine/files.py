"""Reading an image's files without running it: a container is created, never started (see
:meth:`~kit.engine.containers.Containers.create_idle`), and the engine's archive API streams
what is asked for."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from collections.abc import Iterator
from typing import Any

import docker.errors

from kit.engine.session import Session


class Files:
    def __init__(self, session: Session) -> None:
        self._s = session

    def stat_path(self, container: str, path: str) -> dict[str, Any] | None:
        """The engine's stat of a path (``name size mode mtime linkTarget``); None when absent.

        A HEAD on the archive endpoint, which the SDK does not wrap: no tar is sent. Symlinks in
        the parents are followed, the last one is not; its ``linkTarget`` is the fully resolved
        absolute path inside the container.
        """
        api = self._s.api
        url = api._url("/containers/{0}/archive", container)
        response = self._s.call(api.head, url, params={"path": path})
        if response.status_code == 404:
            return None
        api._raise_for_status(response)
        header = response.headers.get("X-Docker-Container-Path-Stat")
        stat: dict[str, Any] = json.loads(base64.b64decode(header)) if header else {}
        return stat

    def path_exists(self, container: str, path: str) -> bool:
        """Whether ``path`` exists, following symlinks (a dangling link does not exist)."""
        stat = self.stat_path(container, path)
        if stat is None:
            return False
        target = stat.get("linkTarget") or ""
        return not target or target == path or self.stat_path(container, target) is not None

    def export(self, container: str) -> tarfile.TarFile:
        """The container's whole filesystem as one streaming tar (``docker export``): the
        image's layers already stacked, each path once. Members must be read in order."""
        chunks = self._s.call(self._s.api.export, container, chunk_size=1 << 20)
        stream = io.BufferedReader(_ChunkReader(iter(chunks)), buffer_size=1 << 20)
        return tarfile.open(fileobj=stream, mode="r|", bufsize=1 << 20)

    def _archive(self, container: str, path: str) -> tuple[tarfile.TarFile, str] | None:
        """A streaming tar of ``path`` (its last symlink followed) and the name it is stored as."""
        stat = self.stat_path(container, path)
        if stat is None:
            return None
        target = stat.get("linkTarget") or path
        try:
            chunks, stat = self._s.call(self._s.api.get_archive, container, target)
        except docker.errors.NotFound:
            return None
        stream = io.BufferedReader(_ChunkReader(iter(chunks)), buffer_size=1 << 16)
        return tarfile.open(fileobj=stream, mode="r|"), str(stat.get("name", ""))

    def read_file(self, container: str, path: str) -> bytes | None:
        """The content of a regular file in the container; None when absent or not a file."""
        found = self._archive(container, path)
        if found is None:
            return None
        archive, _ = found
        with archive:
            for member in archive:
                data = archive.extractfile(member) if member.isfile() else None
                return data.read() if data is not None else None
        return None

    def list_dir(self, container: str, path: str) -> list[tuple[str, bool]] | None:
        """``(name, is_symlink)`` of a directory's entries; None when it is absent or a file.

        The engine only offers a tar of the whole tree, so the file contents stream past unread
        (about a second for the 100 MB /usr/bin of a full toolchain image).
        """
        found = self._archive(container, path)
        if found is None:
            return None
        archive, name = found
        entries: list[tuple[str, bool]] = []
        with archive:
            for member in archive:
                parent, _, base = member.name.rstrip("/").rpartition("/")
                if member.name.rstrip("/") == name and not member.isdir():
                    return None
                if parent == name and base:
                    entries.append((base, member.issym()))
        return entries


class _ChunkReader(io.RawIOBase):
    """An iterator of byte chunks as a readable stream, for ``tarfile``'s streaming mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, b"")
            if not chunk:
                return 0
            self._pending = memoryview(chunk)
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        # A view, not a slice of the bytes: chunks are up to 2 MB and are read 64 KiB at a time.
        self._pending = self._pending[count:]
        return count
