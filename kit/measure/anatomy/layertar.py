"""One layer tar read once: its entries (path → kind, size), its tar and content bytes and, fed to
the gzip sizer as it goes by, the size of the gzip a push would send. Whatever the source — a
``docker save`` stream or the engine's own storage — a layer is read here, so both give the same
numbers."""

from __future__ import annotations

import contextlib
import posixpath
import tarfile
import zlib
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from tarfile import HeaderError
from typing import IO, Any, Self, cast

from kit.errors import LayerError
from kit.measure.anatomy.gzipsize import GzipSizer
from kit.measure.anatomy.reader import ForwardReader

#: Kinds of layer entries: directory, regular file, hard link, symlink, other (device, fifo).
DIR, FILE, HARDLINK, SYMLINK, OTHER = "d", "f", "h", "l", "o"
KINDS = (DIR, FILE, HARDLINK, SYMLINK, OTHER)
# tarfile's "a zero block" error, the one header error that means a real end (not in typeshed).
_END_OF_ARCHIVE: type[Exception] = vars(tarfile)["EOFHeaderError"]
BROKEN = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError)


@dataclass(frozen=True)
class LayerTar:
    """One layer as its tar says it: ``entries`` maps each normalised path to (kind, size)."""

    name: str
    entries: dict[str, tuple[str, int]]
    tar_bytes: int
    content_bytes: int
    compressed_bytes: int | None
    #: The layer came compressed (an OCI gzip blob): ``compressed_bytes`` is the blob's own size.
    from_blob: bool = False
    #: Σ its symlinks' target lengths: an unpacked symlink's lstat size, which the engine's
    #: unpacked size counts (overlay2's ``Size`` is exactly content + link bytes).
    link_bytes: int = 0

    @property
    def unpacked_bytes(self) -> int:
        return self.content_bytes + self.link_bytes


class BadHeaderError(Exception):
    """Not a :class:`tarfile.HeaderError`, so that tarfile lets it through."""


class _StrictInfo(tarfile.TarInfo):
    """Past the first member, tarfile takes a bad, short or missing header for the archive's
    end and stops quietly; here only a zero block ends an archive, anything else is an error."""

    @classmethod
    def fromtarfile(cls, tarfile: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(tarfile)
        except _END_OF_ARCHIVE:
            raise
        except HeaderError as exc:
            raise BadHeaderError(f"bad tar header at byte {tarfile.offset}: {exc}") from None


def open_tar(reader: ForwardReader) -> tarfile.TarFile:
    """tarfile's regular reading mode over a forward-only reader, strict about bad headers."""
    return tarfile.TarFile(fileobj=cast(IO[bytes], reader), mode="r", tarinfo=_StrictInfo)


def forget(tar: tarfile.TarFile) -> None:
    # TarFile keeps every TarInfo it read (its public, untyped ``members``): dropping them keeps
    # memory flat, and nothing here needs them again.
    cast(Any, tar).members.clear()


def clean_path(name: str, ref: str, member: str) -> str:
    """A member path relative to the image root; one that leaves the root is an error."""
    stripped = name
    while stripped.startswith(("./", "/")):
        stripped = stripped[1:] if stripped[0] == "/" else stripped[2:]
    path = posixpath.normpath(stripped) if stripped else "."
    if path == ".." or path.startswith("../"):
        raise LayerError(f"{ref}: {member} holds {name!r}, a path outside the image root")
    return "" if path == "." else path


def members(reader: ForwardReader, ref: str, where: str) -> Iterator[tuple[tarfile.TarInfo, str]]:
    """The tar's members as they stream by, each with its path cleaned (:func:`clean_path`);
    none is kept once the next is read."""
    tar = open_tar(reader)
    while (info := tar.next()) is not None:
        forget(tar)
        yield info, clean_path(info.name, ref, where)


@contextlib.contextmanager
def named_damage(ref: str, what: str) -> Iterator[None]:
    """A tar that cannot be read, as the :class:`LayerError` saying which one (``what``)."""
    try:
        yield
    except (*BROKEN, BadHeaderError) as exc:
        raise LayerError(
            f"{ref}: {what} is truncated or corrupt ({type(exc).__name__}: {exc})"
        ) from exc


def read_tar(
    reader: ForwardReader, ref: str, member: str
) -> tuple[dict[str, tuple[str, int]], int, int]:
    """The layer's entries, its regular files' bytes and its symlinks' target bytes."""
    entries: dict[str, tuple[str, int]] = {}
    content = links = 0
    where = f"layer {member}"
    for info, path in members(reader, ref, where):
        if info.islnk():
            clean_path(info.linkname, ref, where)  # a hard link must not point outside either
        if not path:
            continue
        if info.isdir():
            kind = DIR
        elif info.isreg():
            kind = FILE
            content += info.size
        elif info.islnk():
            kind = HARDLINK
        elif info.issym():
            kind = SYMLINK
            links += len(info.linkname.encode("utf-8", "surrogateescape"))
        else:
            kind = OTHER
        entries[path] = (kind, info.size)
    return entries, content, links


def _gunzipped(member: ForwardReader) -> Iterator[bytes]:
    unzip = zlib.decompressobj(31)
    while not unzip.eof:
        data = unzip.unconsumed_tail or member.read(1 << 18)
        if not data:
            raise EOFError("the gzip layer ends early")
        yield unzip.decompress(data, 1 << 20)


def read_layer(
    body: ForwardReader,
    kind: str,
    ref: str,
    name: str,
    *,
    compress: bool,
    pool: Executor | None,
    size: int | None = None,
) -> LayerTar:
    """Read one layer (``kind`` "tar" or "gzip") to its end: entries, sizes, gzip size.

    ``size``: the member's size when known (a gzip blob's compressed size is its own)."""
    if size == 0:
        return LayerTar(name, {}, 0, 0, GzipSizer().close() if compress else None)
    sizer = GzipSizer(pool) if compress and kind == "tar" else None
    if sizer is not None:
        body.tap = sizer.feed
    with named_damage(ref, f"layer {name}"):
        reader = ForwardReader(_gunzipped(body)) if kind == "gzip" else body
        entries, content, links = read_tar(reader, ref, name)
        junk = reader.drain()
        tar_bytes = reader.tell()
    if junk:
        raise LayerError(f"{ref}: layer {name} has data after its end marker: {junk[:16]!r}")
    if kind == "gzip":
        compressed: int | None = size if size is not None else body.tell()
    else:
        compressed = sizer.close() if sizer is not None else None
    return LayerTar(
        name, entries, tar_bytes, content, compressed, from_blob=kind == "gzip", link_bytes=links
    )
