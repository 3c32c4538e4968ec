"""One pass over a ``docker save`` stream: every layer's entries, sizes and gzip size.

Both layouts are read the same way, through ``manifest.json``: the classic one (Engine ≤ 24:
``<id>/layer.tar``, ``<id>.json``) and the OCI one (Engine 25+: ``blobs/sha256/<digest>``,
``index.json``). ``manifest.json`` comes last in the stream, so each layer is scanned as it
streams by, keyed by its member name, and put in order at the end. Memory grows with the number
of paths, never with the image's bytes: nothing is written to disk and file data is only skipped.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from tarfile import HeaderError
from typing import IO, Any, Self, cast

from kit.errors import KitError, LayerError
from kit.measure.anatomy.gzipsize import GzipSizer
from kit.measure.anatomy.reader import ForwardReader

#: Kinds of layer entries: directory, regular file, hard link, symlink, other (device, fifo).
DIR, FILE, HARDLINK, SYMLINK, OTHER = "d", "f", "h", "l", "o"
_PEEK = 512
_JSON_LIMIT = 64 << 20
# tarfile's "a zero block" error, the one header error that means a real end (not in typeshed).
_END_OF_ARCHIVE: type[Exception] = vars(tarfile)["EOFHeaderError"]
_BROKEN = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError)


@dataclass(frozen=True)
class LayerScan:
    """One layer as its tar says it: ``entries`` maps each normalised path to (kind, size)."""

    name: str
    entries: dict[str, tuple[str, int]]
    tar_bytes: int
    content_bytes: int
    compressed_bytes: int | None


@dataclass(frozen=True)
class SavedImage:
    layout: str  # "classic" | "oci"
    layers: tuple[LayerScan, ...]
    config: dict[str, Any]
    config_bytes: int


def _gunzipped(member: ForwardReader) -> Iterator[bytes]:
    unzip = zlib.decompressobj(31)
    while not unzip.eof:
        data = unzip.unconsumed_tail or member.read(1 << 18)
        if not data:
            raise EOFError("the gzip layer ends early")
        yield unzip.decompress(data, 1 << 20)


def clean_path(name: str, ref: str, member: str) -> str:
    """A member path relative to the image root; one that leaves the root is an error."""
    stripped = name
    while stripped.startswith(("./", "/")):
        stripped = stripped[1:] if stripped[0] == "/" else stripped[2:]
    path = posixpath.normpath(stripped) if stripped else "."
    if path == ".." or path.startswith("../"):
        raise LayerError(f"{ref}: {member} holds {name!r}, a path outside the image root")
    return "" if path == "." else path


def _scan_tar(
    reader: ForwardReader, ref: str, member: str
) -> tuple[dict[str, tuple[str, int]], int]:
    entries: dict[str, tuple[str, int]] = {}
    content = 0
    where = f"layer {member}"
    tar = tarfile.TarFile(fileobj=cast(IO[bytes], reader), mode="r", tarinfo=_StrictInfo)
    while (info := tar.next()) is not None:
        _forget(tar)
        path = clean_path(info.name, ref, where)
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
        else:
            kind = OTHER
        entries[path] = (kind, info.size)
    return entries, content


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


class BadHeaderError(Exception):
    """Not a :class:`tarfile.HeaderError`, so that tarfile lets it through."""


def _forget(tar: tarfile.TarFile) -> None:
    # TarFile keeps every TarInfo it read (its public, untyped ``members``): dropping them keeps
    # memory flat, and nothing here needs them again.
    cast(Any, tar).members.clear()


def _kind_of(head: bytes) -> str:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[257:262] == b"ustar" or (len(head) >= 512 and head.count(0) == len(head)):
        return "tar"
    if head.lstrip()[:1] in (b"{", b"["):  # manifest.json is a list
        return "json"
    return "other"


def read_save_stream(
    chunks: Iterable[bytes], ref: str, *, compress: bool = True, pool: Executor | None = None
) -> SavedImage:
    """Scan every layer of a ``docker save`` stream in one forward pass."""
    source = iter(chunks)
    try:
        return _read(source, ref, compress, pool)
    except KitError:
        raise
    except (*_BROKEN, BadHeaderError) as exc:
        raise LayerError(
            f"{ref}: the save stream is truncated or corrupt ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()  # let the engine stop writing the archive when we stop early


def _read(source: Iterator[bytes], ref: str, compress: bool, pool: Executor | None) -> SavedImage:
    stream = ForwardReader(_guarded(source, ref))
    scans: dict[str, LayerScan] = {}
    docs: dict[str, tuple[Any, int]] = {}
    odd: dict[str, bytes] = {}
    links: dict[str, str] = {}
    outer = tarfile.TarFile(fileobj=cast(IO[bytes], stream), mode="r", tarinfo=_StrictInfo)
    while (info := outer.next()) is not None:
        _forget(outer)
        name = clean_path(info.name, ref, "the archive")
        if info.issym() or info.islnk():
            base = posixpath.dirname(name) if info.issym() else ""
            links[name] = clean_path(posixpath.join(base, info.linkname), ref, "the archive")
            continue
        if not info.isreg():
            continue
        body = stream.member(info.size, name)
        head = body.peek(_PEEK)
        kind = _kind_of(head)
        if kind == "other" and name.endswith(".tar"):
            kind = "tar"  # named a layer by the classic layout, even without ustar magic
        if kind == "json" and info.size <= _JSON_LIMIT:
            try:
                docs[name] = (json.loads(body.read()), info.size)
            except ValueError:
                odd[name] = head[:8]
        elif kind in ("tar", "gzip"):
            scans[name] = _scan_layer(body, kind, ref, name, compress, pool, info.size)
        else:
            odd[name] = head[:8]
    return _assemble(ref, scans, docs, odd, links)


def _guarded(source: Iterator[bytes], ref: str) -> Iterator[bytes]:
    # The engine's HTTP stream can fail in several libraries' own ways; name the image.
    try:
        yield from source
    except KitError:
        raise
    except Exception as exc:
        raise LayerError(f"{ref}: the save stream broke off: {exc}") from exc


def _scan_layer(
    body: ForwardReader,
    kind: str,
    ref: str,
    name: str,
    compress: bool,
    pool: Executor | None,
    size: int,
) -> LayerScan:
    if size == 0:
        return LayerScan(name, {}, 0, 0, GzipSizer().close() if compress else None)
    sizer = GzipSizer(pool) if compress and kind == "tar" else None
    if sizer is not None:
        body.tap = sizer.feed
    try:
        reader = ForwardReader(_gunzipped(body)) if kind == "gzip" else body
        entries, content = _scan_tar(reader, ref, name)
        junk = reader.drain()
        tar_bytes = reader.tell()
    except (*_BROKEN, BadHeaderError) as exc:
        raise LayerError(
            f"{ref}: layer {name} is truncated or corrupt ({type(exc).__name__}: {exc})"
        ) from exc
    if junk:
        raise LayerError(f"{ref}: layer {name} has data after its end marker: {junk[:16]!r}")
    compressed = size if kind == "gzip" else (sizer.close() if sizer is not None else None)
    return LayerScan(name, entries, tar_bytes, content, compressed)


def _assemble(
    ref: str,
    scans: dict[str, LayerScan],
    docs: dict[str, tuple[Any, int]],
    odd: dict[str, bytes],
    links: dict[str, str],
) -> SavedImage:
    if "manifest.json" not in docs:
        raise LayerError(
            f"{ref}: the save stream has no manifest.json (truncated, or not a docker save)"
        )
    manifest = docs["manifest.json"][0]
    entry = _pick(manifest, ref)
    config_name = str(entry.get("Config", ""))
    config, config_bytes = docs.get(_follow(config_name, links), (None, 0))
    if not isinstance(config, dict):
        raise LayerError(f"{ref}: the image config {config_name!r} is missing from the stream")
    layers = []
    for layer_name in entry.get("Layers") or []:
        target = _follow(str(layer_name), links)
        if target in scans:
            layers.append(scans[target])
        elif target in odd:
            raise LayerError(
                f"{ref}: layer {layer_name} is neither tar nor gzip (starts {odd[target]!r})"
            )
        else:
            raise LayerError(
                f"{ref}: layer {layer_name} named in manifest.json is not in the stream"
            )
    layout = "oci" if "index.json" in docs or "oci-layout" in docs else "classic"
    return SavedImage(layout, tuple(layers), config, config_bytes)


def _pick(manifest: Any, ref: str) -> dict[str, Any]:
    if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
        raise LayerError(f"{ref}: manifest.json does not list an image")
    for entry in manifest:
        if isinstance(entry, dict) and ref in (entry.get("RepoTags") or []):
            return entry
    first: dict[str, Any] = manifest[0]
    return first


def _follow(name: str, links: dict[str, str]) -> str:
    # Engines write a layer shared by two positions once and link the other name to it.
    seen = set()
    while name in links and name not in seen:
        seen.add(name)
        name = links[name]
    return name
