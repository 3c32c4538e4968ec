"""A forward-only file over a stream of chunks: how :mod:`kit.measure.anatomy.savestream` reads a
``docker save`` archive, and each layer inside it, exactly once and in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator


class ForwardReader:
    """A forward-only file over a stream of chunks, for tarfile's regular reading mode.

    tarfile's ``r|`` mode puts its own buffer in front, which copies the rest of that buffer on
    every 512-byte header read: on a 1.3 GB image that made the parse ~1 s slower. Here a seek
    may only move forward (a backward one raises), so the archive is still read exactly once,
    in order; skipped file data is never copied, only shown to ``tap`` (the gzip sizer).
    """

    def __init__(self, chunks: Iterator[bytes | memoryview]) -> None:
        self._chunks = chunks
        self._cur = memoryview(b"")
        self.pos = 0
        self.tap: Callable[[memoryview], None] | None = None

    def _fill(self) -> bool:
        while not len(self._cur):
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._cur = memoryview(chunk)
        return True

    def _take(self, n: int) -> memoryview:
        """Up to ``n`` bytes of the current chunk."""
        piece = self._cur[:n]
        self._cur = self._cur[len(piece) :]
        self.pos += len(piece)
        if self.tap is not None:
            self.tap(piece)
        return piece

    def peek(self, n: int) -> bytes:
        """The next ``n`` bytes (fewer at the end), left unread."""
        while len(self._cur) < n and (more := next(self._chunks, None)) is not None:
            self._cur = memoryview(bytes(self._cur) + bytes(more))
        return bytes(self._cur[:n])

    def read(self, n: int | None = -1) -> bytes:
        want = (1 << 62) if n is None or n < 0 else n
        parts = []
        while want > 0 and self._fill():
            piece = self._take(want)
            want -= len(piece)
            parts.append(piece)
        return b"".join(parts)

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence != 0 or pos < self.pos:
            raise OSError("the save stream can only be read forward")
        while self.pos < pos and self._fill():
            self._take(pos - self.pos)
        return self.pos

    def member(self, size: int, name: str) -> ForwardReader:
        """The next ``size`` bytes as a file of their own; a stream ending sooner is an error."""

        def pieces() -> Iterator[memoryview]:
            left = size
            while left > 0:
                if not self._fill():
                    raise EOFError(f"the stream ends inside {name}")
                piece = self._take(left)
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
