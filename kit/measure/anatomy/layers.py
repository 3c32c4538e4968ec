"""An image's layer anatomy, each layer read once, ever.

Where a layer's scan comes from, first that applies:

1. the layer cache (:mod:`~kit.measure.anatomy.layercache`), by diff id;
2. the engine's own storage (:mod:`~kit.measure.anatomy.storage`) on a local overlay2 engine
   this process can read (root): only the layers the cache does not know are read;
3. the image's ``docker save`` stream (:mod:`~kit.measure.anatomy.savestream`, both layouts):
   the engine exports every layer, but those the cache knows are only hashed, not parsed or
   compressed.

The image-level figures are then recombined from the layers (:mod:`~kit.measure.anatomy.combine`,
which also says how efficiency and waste are computed): every source gives the same tables.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from kit.engine import Engine
from kit.errors import LayerError
from kit.measure.anatomy.combine import ImageAnatomy, WastedPath, combine, short_command
from kit.measure.anatomy.layercache import LayerCache
from kit.measure.anatomy.layertar import LayerTar
from kit.measure.anatomy.savestream import KnownLayerMissed, read_save_stream
from kit.measure.anatomy.storage import EngineStorage, StorageUnavailable

__all__ = [
    "SOURCES",
    "ImageAnatomy",
    "WastedPath",
    "analyze_image",
    "analyze_save",
    "analyze_stream",
    "short_command",
]

#: ``auto``: the engine's storage where it can be read, else the save stream.
SOURCES = ("auto", "storage", "save")

log = logging.getLogger("kit")


@contextlib.contextmanager
def _pool(compress: bool, workers: int | None) -> Iterator[Executor | None]:
    threads = (os.cpu_count() or 1) if workers is None else workers
    if not compress or threads <= 0:
        yield None
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kit-gzip") as pool:
        yield pool


def analyze_image(
    engine: Engine,
    ref: str,
    *,
    compress: bool = True,
    workers: int | None = None,
    top: int = 10,
    prefixes: tuple[str, ...] = (),
    cache: LayerCache | None = None,
    source: str = "auto",
) -> ImageAnatomy:
    """Measure every layer of the image: from ``cache`` what it knows, the rest from ``source``.

    ``compress=False`` skips the gzip sizing (the slow part) and leaves ``compressed_bytes``
    None. ``workers`` compress in threads alongside the parse (default: one per core; 0
    compresses inline). ``source`` is one of :data:`SOURCES`; ``storage`` fails when the
    engine's storage cannot be read instead of falling back.
    """
    if source not in SOURCES:
        raise LayerError(f"unknown layer source {source!r}", hint=f"one of {', '.join(SOURCES)}")
    info = engine.images.inspect(ref)
    if info is None:
        raise LayerError(f"image {ref} not found", hint="build it first, or check the tag")
    diff_ids = list(info.layers)
    known: dict[str, LayerTar] = {}
    config = cache.config(info.id) if cache is not None else None
    if cache is not None:
        for diff_id in dict.fromkeys(diff_ids):
            if (scan := cache.get(diff_id, compressed=compress)) is not None:
                known[diff_id] = scan
    if config is not None and all(d in known for d in diff_ids):
        scans = [known[d] for d in diff_ids]
        return _combined(ref, config, scans, top, prefixes, source="cache")
    if source != "save":
        try:
            storage = EngineStorage.open(engine)
            config = config or storage.config(info.id)
            with _pool(compress, workers) as pool:
                read = _read_storage(storage, ref, diff_ids, known, compress, pool)
        except StorageUnavailable as exc:
            if source == "storage":
                raise LayerError(f"{ref}: cannot read the engine's layer storage: {exc}") from exc
            log.debug("%s: layers from the save stream: %s", ref, exc)
        else:
            _remember(cache, info.id, config, read)
            scans = [known.get(d) or read[d] for d in diff_ids]
            return _combined(ref, config, scans, top, prefixes, "storage", len(read))
    return analyze_save(
        lambda: engine.images.save(ref),
        ref,
        compress=compress,
        workers=workers,
        top=top,
        prefixes=prefixes,
        cache=cache,
        known=known,
        image_id=info.id,
    )


def _read_storage(
    storage: EngineStorage,
    ref: str,
    diff_ids: Sequence[str],
    known: dict[str, LayerTar],
    compress: bool,
    pool: Executor | None,
) -> dict[str, LayerTar]:
    read: dict[str, LayerTar] = {}
    for index, diff_id in enumerate(diff_ids):
        if diff_id not in known and diff_id not in read:
            read[diff_id] = storage.scan(ref, diff_ids, index, compress=compress, pool=pool)
    return read


def _remember(
    cache: LayerCache | None, image_id: str | None, config: bytes, read: dict[str, LayerTar]
) -> None:
    if cache is None:
        return
    if image_id:
        cache.put_config(image_id, config)
    for diff_id, scan in read.items():
        cache.put(diff_id, scan)


def _combined(
    ref: str,
    raw: bytes,
    scans: Sequence[LayerTar],
    top: int,
    prefixes: tuple[str, ...],
    source: str,
    read: int = 0,
    layout: str = "",
) -> ImageAnatomy:
    try:
        config: Any = json.loads(raw)
    except ValueError as exc:
        raise LayerError(f"{ref}: the image config is not JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise LayerError(f"{ref}: the image config is not a JSON object")
    return combine(
        ref,
        config,
        len(raw),
        scans,
        top=top,
        prefixes=prefixes,
        layout=layout,
        source=source,
        layers_read=read,
    )


def analyze_save(
    open_stream: Callable[[], Iterable[bytes]],
    ref: str,
    *,
    compress: bool = True,
    workers: int | None = None,
    top: int = 10,
    prefixes: tuple[str, ...] = (),
    cache: LayerCache | None = None,
    known: dict[str, LayerTar] | None = None,
    image_id: str | None = None,
) -> ImageAnatomy:
    """The anatomy from a ``docker save`` stream (``open_stream`` gives a fresh one each call).

    Layers in ``known`` (or in ``cache``, once the stream's config names them) are only hashed
    as they stream by; should one turn out not to be the layer its size suggested, the stream is
    read once more, in full. What is read goes into ``cache``, the config under its own digest
    and under ``image_id`` (the engine's id of the image: on the containerd image store that is
    the manifest's digest, not the config's)."""
    known = dict(known or {})
    with _pool(compress, workers) as pool:
        sizes = {d: s.tar_bytes for d, s in known.items()}
        try:
            saved = read_save_stream(open_stream(), ref, compress=compress, pool=pool, known=sizes)
        except KnownLayerMissed as exc:
            log.info("%s; reading the whole stream again", exc)
            saved = read_save_stream(open_stream(), ref, compress=compress, pool=pool)
    diff_ids = list((saved.config.get("rootfs") or {}).get("diff_ids") or [])
    read = {
        diff_ids[i]: scan
        for i, scan in enumerate(saved.layers)
        if scan is not None and i < len(diff_ids)
    }
    scans = [
        scan if scan is not None else known[diff_ids[i]] for i, scan in enumerate(saved.layers)
    ]
    config_id = (
        f"sha256:{hashlib.sha256(saved.config_raw).hexdigest()}" if saved.config_raw else None
    )
    _remember(cache, config_id, saved.config_raw, read)
    if cache is not None and image_id and config_id:
        cache.link_image(image_id, config_id)
    return combine(
        ref,
        saved.config,
        saved.config_bytes,
        scans,
        top=top,
        prefixes=prefixes,
        layout=saved.layout,
        source="save",
        layers_read=sum(scan is not None for scan in saved.layers),
    )


def analyze_stream(
    chunks: Iterable[bytes],
    ref: str,
    *,
    compress: bool = True,
    workers: int | None = None,
    top: int = 10,
    prefixes: tuple[str, ...] = (),
) -> ImageAnatomy:
    """The anatomy from any iterable of ``docker save`` bytes, every layer read."""
    return analyze_save(
        lambda: chunks, ref, compress=compress, workers=workers, top=top, prefixes=prefixes
    )
