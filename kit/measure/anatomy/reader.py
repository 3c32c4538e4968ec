"""A forward-only file over a stream of chunks: how :mod:`kit.measure.anatomy.savestream` reads a
``docker save`` archive, and each layer inside it, exactly once and in order — and how
:mod:`kit.measure.anatomy.storage` reads a layer from the engine's storage, where a regular file's
bytes may stay on disk (a :class:`Hole`) when nothing needs them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO


class Hole:
    """``size`` bytes of the file at ``path``: skipped unread, read only if someone asks."""

    __slots__ = ("_file", "done", "path", "size")

    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.size = size
        self.done = 0
        self._file: BinaryIO | None = None

    @property
    def left(self) -> int:
        return self.size - self.done

    def skip(self, n: int) -> int:
        n = min(n, self.left)
        self.done += n
        if self._file is not None:
            self._file.seek(self.done)
        return n

    def read(self, n: int) -> bytes:
        n = min(n, self.left)
        if self._file is None:
            self._file = open(self.path, "rb")  # noqa: SIM115 - closed when the hole is used up
            self._file.seek(self.done)
        data = self._file.read(n)
        if len(data) != n:
            self._file.close()
            raise EOFError(f"{self.path} is shorter than its {self.size} bytes in the layer")
        self.done += n
        if not self.left:
            self._file.close()
        return data


Chunk = bytes | memoryview | Hole


class ForwardReader:
    """A forward-only file over a stream of chunks, for tarfile's regular reading mode.

    tarfile's ``r|`` mode puts its own buffer in front, which copies the rest of that buffer on
    every 512-byte header read: on a 1.3 GB image that made the parse ~1 s slower. Here a seek
    may only move forward (a backward one raises), so the archive is still read exactly once,
    in order; skipped file data is never copied, only shown to ``tap`` (the gzip sizer), and a
    :class:`Hole` that nobody taps is skipped without being read at all.
    """

    def __init__(self, chunks: Iterator[Chunk]) -> None:
        self._chunks = chunks
        self._cur = memoryview(b"")
        self._hole: Hole | None = None
        self.pos = 0
        self.tap: Callable[[memoryview], None] | None = None

    def _fill(self) -> bool:
        while not len(self._cur) and (self._hole is None or not self._hole.left):
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            if isinstance(chunk, Hole):
                self._hole = chunk
            else:
                self._hole = None
                self._cur = memoryview(chunk)
        return True

    def _take(self, n: int, need: bool = True) -> memoryview | int:
        """Up to ``n`` bytes of the current chunk; a skip (``need`` False) of an untapped hole
        only counts them."""
        if self._hole is not None and self._hole.left:
            if not need and self.tap is None:
                skipped = self._hole.skip(n)
                self.pos += skipped
                return skipped
            piece = memoryview(self._hole.read(min(n, 1 << 20)))
        else:
            piece = self._cur[:n]
            self._cur = self._cur[len(piece) :]
        self.pos += len(piece)
        if self.tap is not None:
            self.tap(piece)
        return piece

    def peek(self, n: int) -> bytes:
        """The next ``n`` bytes (fewer at the end), left unread; for streams without holes."""
        while len(self._cur) < n and (more := next(self._chunks, None)) is not None:
            if isinstance(more, Hole):
                raise TypeError("peek over a hole")
            self._cur = memoryview(bytes(self._cur) + bytes(more))
        return bytes(self._cur[:n])

    def read(self, n: int | None = -1) -> bytes:
        want = (1 << 62) if n is None or n < 0 else n
        parts = []
        while want > 0 and self._fill():
            piece = self._take(want)
            assert not isinstance(piece, int)
            want -= len(piece)
            parts.append(piece)
        return b"".join(parts)

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence != 0 or pos < self.pos:
            raise OSError("the save stream can only be read forward")
        while self.pos < pos and self._fill():
            self._take(pos - self.pos, need=False)
        return self.pos

    def member(self, size: int, name: str) -> ForwardReader:
        """The next ``size`` bytes as a file of their own; a stream ending sooner is an error."""

        def pieces() -> Iterator[memoryview]:
            left = size
            while left > 0:
                if not self._fill():
                    raise EOFError(f"the stream ends inside {name}")
                piece = self._take(left)
                assert not isinstance(piece, int)
                left -= len(piece)
                yield piece

        return ForwardReader(pieces())

    def drain(self) -> bytes:
        """Read to the end; return the start of anything there that is not zero padding."""
        junk = b""
        while piece := self.read(1 << 20):
            if not junk and piece.count(0) != len(piece):
                junk = piece.lstrip(b"\0")[:64]
        return junk
