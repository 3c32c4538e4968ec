"""One pass over a ``docker save`` stream: every layer's entries, sizes and gzip size.

Both layouts are read the same way, through ``manifest.json``: the classic one (Engine ≤ 24:
``<id>/layer.tar``, ``<id>.json``) and the OCI one (Engine 25+: ``blobs/sha256/<digest>``,
``index.json``). ``manifest.json`` comes last in the stream, so each layer is scanned as it
streams by, keyed by its member name, and put in order at the end. Memory grows with the number
of paths, never with the image's bytes: nothing is written to disk and file data is only skipped.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from kit.errors import KitError, LayerError
from kit.measure.anatomy.layertar import LayerTar, clean_path, members, named_damage, read_layer
from kit.measure.anatomy.reader import ForwardReader

_PEEK = 512
_JSON_LIMIT = 64 << 20


@dataclass(frozen=True)
class SavedImage:
    layout: str  # "classic" | "oci"
    #: In ``RootFS`` order; None for a layer the caller already knew and that was only hashed.
    layers: tuple[LayerTar | None, ...]
    config: dict[str, Any]
    config_bytes: int
    config_raw: bytes = b""  # the config exactly as the stream holds it


class KnownLayerMissed(Exception):
    """A layer skipped because its size matched a known one turned out to be another layer:
    its entries were not read, so the stream must be read again without skipping."""


def _kind_of(head: bytes) -> str:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[257:262] == b"ustar" or (len(head) >= 512 and head.count(0) == len(head)):
        return "tar"
    if head.lstrip()[:1] in (b"{", b"["):  # manifest.json is a list
        return "json"
    return "other"


def read_save_stream(
    chunks: Iterable[bytes],
    ref: str,
    *,
    compress: bool = True,
    pool: Executor | None = None,
    known: Mapping[str, int] | None = None,
) -> SavedImage:
    """Scan every layer of a ``docker save`` stream in one forward pass.

    ``known`` maps diff ids the caller already has results for to their tar sizes. A layer
    member of one of those sizes is not parsed nor compressed, only hashed as it streams by; if
    its digest is not the known diff id after all, :class:`KnownLayerMissed` is raised."""
    source = iter(chunks)
    try:
        with named_damage(ref, "the save stream"):
            return _read(source, ref, compress, pool, dict(known or {}))
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()  # let the engine stop writing the archive when we stop early


def _read(
    source: Iterator[bytes],
    ref: str,
    compress: bool,
    pool: Executor | None,
    known: dict[str, int],
) -> SavedImage:
    stream = ForwardReader(_guarded(source, ref))
    scans: dict[str, LayerTar | str] = {}  # a str: the digest of a known layer, only hashed
    docs: dict[str, tuple[Any, bytes]] = {}
    odd: dict[str, bytes] = {}
    links: dict[str, str] = {}
    sizes = set(known.values())
    for info, name in members(stream, ref, "the archive"):
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
                raw = body.read()
                docs[name] = (json.loads(raw), raw)
            except ValueError:
                odd[name] = head[:8]
        elif kind == "tar" and info.size in sizes:
            scans[name] = _digest(body)
        elif kind in ("tar", "gzip"):
            scans[name] = read_layer(
                body, kind, ref, name, compress=compress, pool=pool, size=info.size
            )
        else:
            odd[name] = head[:8]
    return _assemble(ref, scans, docs, odd, links, known)


def _digest(body: ForwardReader) -> str:
    hasher = hashlib.sha256()
    body.tap = hasher.update
    body.drain()
    return f"sha256:{hasher.hexdigest()}"


def _guarded(source: Iterator[bytes], ref: str) -> Iterator[bytes]:
    # The engine's HTTP stream can fail in several libraries' own ways; name the image.
    try:
        yield from source
    except KitError:
        raise
    except Exception as exc:
        raise LayerError(f"{ref}: the save stream broke off: {exc}") from exc


def _assemble(
    ref: str,
    scans: dict[str, LayerTar | str],
    docs: dict[str, tuple[Any, bytes]],
    odd: dict[str, bytes],
    links: dict[str, str],
    known: dict[str, int],
) -> SavedImage:
    if "manifest.json" not in docs:
        raise LayerError(
            f"{ref}: the save stream has no manifest.json (truncated, or not a docker save)"
        )
    manifest = docs["manifest.json"][0]
    entry = _pick(manifest, ref)
    config_name = str(entry.get("Config", ""))
    config, config_raw = docs.get(_follow(config_name, links), (None, b""))
    if not isinstance(config, dict):
        raise LayerError(f"{ref}: the image config {config_name!r} is missing from the stream")
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    layers: list[LayerTar | None] = []
    for index, layer_name in enumerate(entry.get("Layers") or []):
        target = _follow(str(layer_name), links)
        found = scans.get(target)
        if isinstance(found, str):
            expected = diff_ids[index] if index < len(diff_ids) else None
            if found != expected or found not in known:
                raise KnownLayerMissed(f"{ref}: layer {layer_name} was skipped but is {found}")
            layers.append(None)
        elif found is not None:
            layers.append(found)
        elif target in odd:
            raise LayerError(
                f"{ref}: layer {layer_name} is neither tar nor gzip (starts {odd[target]!r})"
            )
        else:
            raise LayerError(
                f"{ref}: layer {layer_name} named in manifest.json is not in the stream"
            )
    layout = "oci" if "index.json" in docs or "oci-layout" in docs else "classic"
    return SavedImage(layout, tuple(layers), config, len(config_raw), config_raw)


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
