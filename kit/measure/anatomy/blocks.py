"""A 1 MiB block of a layer tar as a recipe: bytes already in hand (tar headers, a save stream)
and spans of files on disk (the engine's layer folders, :class:`FileSpan`), so that the worker
thread that compresses a block reads its files too, off the parsing thread."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileSpan:
    """``length`` bytes at ``offset`` of the file at ``path``, which the layer lists as ``size``
    bytes long: checked when opened, so a file changed or swapped for a link is an error."""

    path: str
    size: int
    offset: int
    length: int

    def read(self) -> bytes:
        buffer = bytearray(self.length)
        self.read_into(memoryview(buffer))
        return bytes(buffer)

    def read_into(self, buffer: memoryview) -> None:
        """Read the span straight into ``buffer`` (as long as the span): no copy in between."""
        fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size != self.size:
                raise OSError(f"{self.path} is not the {self.size}-byte file its layer lists")
            got = os.preadv(fd, [buffer], self.offset)
        finally:
            os.close(fd)
        if got != self.length:
            raise OSError(f"{self.path} ended before its {self.size} bytes")


Piece = bytes | FileSpan
Recipe = tuple[Piece, ...]


def materialize(recipe: Sequence[Piece]) -> bytearray:
    """The block's bytes: every piece copied (or read) once, into one buffer."""
    sizes = [len(p) if isinstance(p, bytes) else p.length for p in recipe]
    block = bytearray(sum(sizes))
    view, at = memoryview(block), 0
    for piece, size in zip(recipe, sizes, strict=True):
        if isinstance(piece, bytes):
            view[at : at + size] = piece
        else:
            piece.read_into(view[at : at + size])
        at += size
    return block


def tail(recipe: Sequence[Piece], n: int) -> bytes:
    """The recipe's last ``n`` bytes, reading only the pieces they come from."""
    parts: list[bytes] = []
    for piece in reversed(recipe):
        if n <= 0:
            break
        if isinstance(piece, bytes):
            part = piece[-n:]
        else:
            take = min(n, piece.length)
            part = FileSpan(piece.path, piece.size, piece.offset + piece.length - take, take).read()
        parts.append(part)
        n -= len(part)
    return b"".join(reversed(parts))
