"""The size of the gzip a registry push would send, computed on several cores.

A layer tar is cut into fixed 1 MiB blocks, each deflated with the previous block's last 32 KiB
as its dictionary and ended on a sync flush (as pigz does), so the blocks' concatenation is one
valid deflate stream and the blocks can be compressed in parallel: zlib releases the GIL.
"""

from __future__ import annotations

import zlib
from collections import deque
from concurrent.futures import Executor, Future

GZIP_BLOCK = 1 << 20
_WINDOW = 32 * 1024  # deflate's window: what each block hands the next as its dictionary
_GZIP_FRAME = 18  # a gzip header (10 bytes) and trailer (8 bytes) around the deflate data


def deflate_block(data: bytes, zdict: bytes, last: bool, level: int = 6) -> bytes:
    """One block of a pigz-style gzip stream: primed with the previous block's last 32 KiB.

    Blocks end on a sync flush (byte-aligned), so their concatenation is one valid deflate
    stream: the layer's gzip size can then be computed on several cores at once.
    """
    comp = (
        zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
        if zdict
        else zlib.compressobj(level, zlib.DEFLATED, -15)
    )
    return comp.compress(data) + comp.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _deflated_len(data: bytes, zdict: bytes, last: bool, level: int) -> int:
    return len(deflate_block(data, zdict, last, level))


class GzipSizer:
    """The size of the gzip a push would send, fed the layer tar piece by piece.

    Fixed 1 MiB blocks make the result independent of how the stream was chunked; with a
    ``pool`` the blocks compress on worker threads (zlib releases the GIL) while the caller
    goes on parsing.
    """

    def __init__(self, pool: Executor | None = None, level: int = 6) -> None:
        self._pool = pool
        self._level = level
        self._buf = bytearray()
        self._zdict = b""
        self._total = _GZIP_FRAME
        self._pending: deque[Future[int]] = deque()

    def feed(self, data: bytes | memoryview) -> None:
        self._buf += data
        while len(self._buf) > GZIP_BLOCK:
            block = bytes(self._buf[:GZIP_BLOCK])
            del self._buf[:GZIP_BLOCK]
            self._submit(block, last=False)

    def close(self) -> int:
        self._submit(bytes(self._buf), last=True)
        self._buf = bytearray()
        while self._pending:
            self._total += self._pending.popleft().result()
        return self._total

    def _submit(self, block: bytes, last: bool) -> None:
        zdict, self._zdict = self._zdict, block[-_WINDOW:]
        if self._pool is None:
            self._total += _deflated_len(block, zdict, last, self._level)
            return
        self._pending.append(self._pool.submit(_deflated_len, block, zdict, last, self._level))
        # Bounded: a slow compressor holds back the parser instead of piling up blocks.
        while len(self._pending) > 4:
            self._total += self._pending.popleft().result()
