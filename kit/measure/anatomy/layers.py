"""Layer anatomy: what each layer adds, changes and deletes, and how much of the image is waste.

Layers are stacked with overlay semantics (whiteouts ``.wh.<name>``, opaque directories
``.wh..wh..opq``, a deleted directory taking everything below it, a file replacing a directory).
Efficiency is computed the way dive 0.13 computes it (``dive/filetree/efficiency.go``): for every
*leaf* of every layer's tree, ``s`` is the entry's tar size, 0 for a file whiteout and the size of
everything below for a directory whiteout; per path ``cum += s``, ``min = min(min, s)``;
efficiency = Σ min / Σ cum. Wasted bytes are Σ (cum − min) over paths seen in two or more layers:
dive's own figure (kept as ``dive_wasted_bytes``) is Σ cum, which counts the copy that is kept
too (dive#684).

Where the kit and dive differ on purpose: dive ignores opaque-directory markers when it stacks
layers, so after an opaque directory a later whiteout of that directory can weigh more in dive;
and a whiteout of a path that does not exist below makes dive stop scoring the rest of that layer
(a logged error), where the kit scores it 0 and goes on. Engine-built images have neither.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kit.engine import Engine
from kit.errors import LayerError
from kit.measure.anatomy.overlay import WHITEOUT, Overlay, stack_layer
from kit.measure.anatomy.savestream import FILE, LayerScan, SavedImage, read_save_stream
from kit.model.samples import LayerStats

# Classic builder: "|<n> ARG=v … /bin/sh -c cmd"; BuildKit: "RUN /bin/sh -c cmd # buildkit".
_SHELL = re.compile(r"^(RUN )?(\|\d+ (\S+=\S* )*)?/bin/sh -c ")


@dataclass(frozen=True)
class WastedPath:
    path: str
    wasted_bytes: int
    layers: tuple[int, ...]


@dataclass(frozen=True)
class ImageAnatomy:
    ref: str
    layers: tuple[LayerStats, ...]
    compressed_bytes: int | None  # every layer's gzip plus the config blob
    efficiency: float
    wasted_bytes: int
    dive_wasted_bytes: int
    top_wasted: tuple[WastedPath, ...]
    layout: str  # "classic" | "oci"
    #: Bytes of regular files under each asked-for path prefix, summed over every layer: a file
    #: a later layer deletes still ships, so it still counts.
    prefix_bytes: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def tar_bytes(self) -> int:
        return sum(layer.tar_bytes for layer in self.layers)

    @property
    def content_bytes(self) -> int:
        return sum(layer.content_bytes for layer in self.layers)


def analyze_image(
    engine: Engine,
    ref: str,
    *,
    compress: bool = True,
    workers: int | None = None,
    top: int = 10,
    prefixes: tuple[str, ...] = (),
) -> ImageAnatomy:
    """Read the image's ``docker save`` stream once and measure every layer.

    ``compress=False`` skips the gzip sizing (the slow part: zlib level 6 runs at tens of MB/s
    per core) and leaves ``compressed_bytes`` None. ``workers`` compress in threads alongside
    the parse (default: one per core; 0 compresses inline).
    """
    if engine.images.inspect(ref) is None:
        raise LayerError(f"image {ref} not found", hint="build it first, or check the tag")
    return analyze_stream(
        engine.images.save(ref), ref, compress=compress, workers=workers, top=top, prefixes=prefixes
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
    """:func:`analyze_image` over any iterable of ``docker save`` bytes."""
    threads = (os.cpu_count() or 1) if workers is None else workers
    if compress and threads > 0:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kit-gzip") as pool:
            saved = read_save_stream(chunks, ref, compress=True, pool=pool)
    else:
        saved = read_save_stream(chunks, ref, compress=compress)
    return _anatomy(saved, ref, top, prefixes)


def short_command(created_by: str, limit: int = 80) -> str:
    """A history step's command as a reader wants it: no shell prefix, one line, ≤ limit."""
    text = _SHELL.sub("", created_by.strip())
    text = text.removeprefix("#(nop) ").removesuffix(" # buildkit")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _prefix_bytes(scans: Iterable[LayerScan], prefixes: tuple[str, ...]) -> dict[str, int]:
    totals = dict.fromkeys(prefixes, 0)
    for scan in scans:
        for path, (kind, size) in scan.entries.items():
            if kind != FILE or WHITEOUT in path:
                continue
            for prefix in prefixes:
                if path.startswith(prefix):
                    totals[prefix] += size
    return totals


def _anatomy(saved: SavedImage, ref: str, top: int, prefixes: tuple[str, ...]) -> ImageAnatomy:
    config = saved.config
    steps = [h for h in config.get("history") or [] if not h.get("empty_layer")]
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    if diff_ids and len(diff_ids) != len(saved.layers):
        raise LayerError(
            f"{ref}: the config lists {len(diff_ids)} layers, the stream {len(saved.layers)}"
        )
    overlay = Overlay()
    paths: dict[str, list[Any]] = {}
    layers = []
    for index, scan in enumerate(saved.layers):
        added, modified, deleted = stack_layer(overlay, scan, index, paths)
        step = steps[index] if index < len(steps) else {}
        layers.append(
            LayerStats(
                index=index,
                # `docker import` leaves no command, only a comment ("Imported from -").
                created_by=short_command(
                    str(step.get("created_by") or step.get("comment") or "(missing)")
                ),
                diff_id=str(diff_ids[index]) if diff_ids else "",
                tar_bytes=scan.tar_bytes,
                content_bytes=scan.content_bytes,
                compressed_bytes=scan.compressed_bytes,
                files_added=added,
                files_modified=modified,
                files_deleted=deleted,
            )
        )
    cum = sum(seen[0] for seen in paths.values())
    low = sum(seen[1] for seen in paths.values())
    repeated = [(path, seen) for path, seen in paths.items() if len(seen[2]) >= 2]
    wasted = sorted(
        (WastedPath("/" + path, seen[0] - seen[1], seen[2]) for path, seen in repeated),
        key=lambda w: (-w.wasted_bytes, w.path),
    )
    compressed = [layer.compressed_bytes for layer in layers]
    return ImageAnatomy(
        ref=ref,
        layers=tuple(layers),
        compressed_bytes=(
            None if None in compressed else sum(c or 0 for c in compressed) + saved.config_bytes
        ),
        efficiency=low / cum if cum else 1.0,
        wasted_bytes=sum(seen[0] - seen[1] for _, seen in repeated),
        dive_wasted_bytes=sum(seen[0] for _, seen in repeated),
        top_wasted=tuple(w for w in wasted[:top] if w.wasted_bytes > 0),
        layout=saved.layout,
        prefix_bytes=MappingProxyType(_prefix_bytes(saved.layers, prefixes)),
    )
