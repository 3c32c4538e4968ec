"""The size of the gzip a registry push would send, computed on several cores.

A layer tar is cut into fixed 1 MiB blocks (:mod:`~kit.measure.anatomy.blocks` recipes, read by
the worker that compresses them). A block is deflated with the previous block's last 32 KiB as
its dictionary and ended on a sync flush (as pigz does), so the blocks' concatenation is one valid
deflate stream and the blocks can be compressed in parallel, on threads: the compressors and the
file reads release the GIL.

Why zlib-ng at level 6: a push is compressed by the engine's Go ``compress/gzip`` (its default
level), whose output is neither zlib's nor zlib-ng's, so every local figure is an estimate.
Measured on this kind of machine against the sizes a registry recorded for real pushes: zlib
level 6 came out 1.6–1.8 % short on ``kitbase/node:18-full``'s two layers, zlib-ng level 6 within
0.7 % on every layer over 1 MB, at 2.5–3× zlib's speed — still only ≈ 75 MB/s per core: 16 s of
CPU for the 1.2 GB node base, the bulk of a cold analysis.

So a layer is compressed whole only up to :data:`EXACT_BLOCKS` blocks (nearly every layer an app
adds). Past them it is *sampled*: every block is compressed by ISA-L at level 1 (≈ 550 MB/s per
core, but 5–15 % larger than a push, by an amount that depends on the data), one in
:data:`STRIDE` by zlib-ng as well, and the ISA-L sizes of the others are scaled by the ratio those
sampled blocks show. ISA-L's sizes can differ by a few bytes from one run to the next on threads
(not its output's validity, which the kit never uses), so the scaled part is given in whole
:data:`SCALED_UNIT` s: a layer's figure is the same every run, and the unit is far below the
method's error. README ("compressed_bytes") gives that error as measured against real pushes;
``tests/engine`` checks it on every run, a sampled layer included.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Executor, Future

from isal import __version__ as isal_version
from isal import isal_zlib
from zlib_ng import zlib_ng

from kit.measure.anatomy.blocks import FileSpan, Piece, Recipe, materialize, tail

GZIP_BLOCK = 1 << 20
LEVEL = 6
#: The blocks of a layer compressed whole, by zlib-ng, before sampling starts.
EXACT_BLOCKS = 16
#: Past them, one block in this many is compressed by zlib-ng as well as ISA-L.
STRIDE = 16
FAST_LEVEL = 1
SCALED_UNIT = 64 << 10
#: What a cached compressed size was computed with: another method (or zlib-ng or ISA-L release,
#: whose output may differ) makes the layer cache compute it again.
METHOD = (
    f"zlib-ng {zlib_ng.ZLIBNG_VERSION} level {LEVEL}, pigz-style {GZIP_BLOCK >> 20} MiB blocks;"
    f" past {EXACT_BLOCKS} blocks one in {STRIDE}, the others ISA-L (python-isal {isal_version})"
    f" level {FAST_LEVEL} scaled by the sampled ratio, in {SCALED_UNIT >> 10} KiB units"
)
_WINDOW = 32 * 1024  # deflate's window: what each block hands the next as its dictionary
_GZIP_FRAME = 18  # a gzip header (10 bytes) and trailer (8 bytes) around the deflate data
EXACT, SAMPLED, FAST = "exact", "sampled", "fast"


def deflate_block(
    data: bytes | bytearray, zdict: bytes | bytearray, last: bool, level: int = LEVEL
) -> bytes:
    """One block of a pigz-style gzip stream: primed with the previous block's last 32 KiB.

    Blocks end on a sync flush (byte-aligned), so their concatenation is one valid deflate
    stream: the layer's gzip size can then be computed on several cores at once.
    """
    comp = (
        zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15, 8, zlib_ng.Z_DEFAULT_STRATEGY, zdict)
        if zdict
        else zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15)
    )
    return comp.compress(data) + comp.flush(zlib_ng.Z_FINISH if last else zlib_ng.Z_SYNC_FLUSH)


def fast_deflated_len(data: bytes | bytearray) -> int:
    """The block's raw deflate size by ISA-L: only its ratio to zlib-ng's is ever used."""
    comp = isal_zlib.compressobj(FAST_LEVEL, isal_zlib.DEFLATED, -15)
    return len(comp.compress(data) + comp.flush(isal_zlib.Z_FINISH))


def block_sizes(how: str, recipe: Recipe, before: Recipe, last: bool) -> tuple[int, int]:
    """zlib-ng's and ISA-L's sizes of one block (0 for the one ``how`` leaves out)."""
    data = materialize(recipe)
    if how == FAST:
        return 0, fast_deflated_len(data)
    exact = len(deflate_block(data, tail(before, _WINDOW), last))
    return exact, fast_deflated_len(data) if how == SAMPLED else 0


class GzipSizer:
    """The size of the gzip a push would send, fed the layer tar piece by piece: bytes
    (:meth:`feed`) and files on disk (:meth:`feed_file`).

    Fixed 1 MiB blocks make the result independent of how the stream was chunked; with a
    ``pool`` the blocks are read and compressed on worker threads while the caller goes on
    parsing. ``exact_blocks`` and ``stride`` are the module's but for tests, which sample small
    layers.
    """

    def __init__(
        self,
        pool: Executor | None = None,
        *,
        exact_blocks: int = EXACT_BLOCKS,
        stride: int = STRIDE,
    ) -> None:
        self._pool = pool
        self._exact_blocks = exact_blocks
        self._stride = stride
        self._pieces: list[Piece] = []
        self._fill = 0
        self._held: Recipe | None = None  # a whole block, held back in case it is the last
        self._before: Recipe = ()
        self._blocks = 0
        self._exact = _GZIP_FRAME  # zlib-ng's bytes for every block it compressed
        self._fast = 0  # ISA-L's bytes for the blocks only it compressed
        self._sample = [0, 0]  # zlib-ng's and ISA-L's bytes for the sampled blocks
        self._pending: deque[tuple[str, Future[tuple[int, int]]]] = deque()

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data`` to the layer tar (copied: the caller may reuse its buffer)."""
        view = memoryview(data)
        while view:
            part = view[: GZIP_BLOCK - self._fill]
            self._add(bytes(part), len(part))
            view = view[len(part) :]

    def feed_file(self, path: str, size: int) -> None:
        """Append the ``size`` bytes of the file at ``path``, to be read by the workers."""
        offset = 0
        while offset < size:
            length = min(size - offset, GZIP_BLOCK - self._fill)
            self._add(FileSpan(path, size, offset, length), length)
            offset += length

    def close(self) -> int:
        """The gzip size; a file that cannot be read raises :class:`OSError` here or earlier."""
        if self._held is not None and not self._fill:
            self._submit(self._held, last=True)
        else:
            if self._held is not None:
                self._submit(self._held, last=False)
            self._submit(tuple(self._pieces), last=True)
        self._held, self._pieces, self._fill = None, [], 0
        while self._pending:
            self._collect()
        if not self._fast:
            return self._exact
        # Block ``exact_blocks`` is always sampled, so a layer with fast blocks has a ratio.
        sample_exact, sample_fast = self._sample
        units = round(self._fast * sample_exact / sample_fast / SCALED_UNIT)
        return self._exact + units * SCALED_UNIT

    def _add(self, piece: Piece, length: int) -> None:
        if self._held is not None:
            self._submit(self._held, last=False)
            self._held = None
        self._pieces.append(piece)
        self._fill += length
        if self._fill == GZIP_BLOCK:
            self._held, self._pieces, self._fill = tuple(self._pieces), [], 0

    def _submit(self, recipe: Recipe, last: bool) -> None:
        before, self._before = self._before, recipe
        number, self._blocks = self._blocks, self._blocks + 1
        past = number - self._exact_blocks
        how = EXACT if past < 0 else SAMPLED if past % self._stride == 0 else FAST
        if self._pool is None:
            self._count(how, block_sizes(how, recipe, before, last))
            return
        self._pending.append((how, self._pool.submit(block_sizes, how, recipe, before, last)))
        # Bounded: a slow compressor holds back the parser instead of piling up blocks.
        while len(self._pending) > 4:
            self._collect()

    def _collect(self) -> None:
        how, future = self._pending.popleft()
        self._count(how, future.result())

    def _count(self, how: str, sizes: tuple[int, int]) -> None:
        exact, fast = sizes
        self._exact += exact
        if how == SAMPLED:
            self._sample[0] += exact
            self._sample[1] += fast
        elif how == FAST:
            self._fast += fast
