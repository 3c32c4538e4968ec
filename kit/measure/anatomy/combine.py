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

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kit.errors import LayerError
from kit.measure.anatomy.layertar import FILE, LayerTar
from kit.measure.anatomy.overlay import WHITEOUT, Overlay, stack_layer
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
    layout: str  # the save stream's: "classic" | "oci"; "" when no stream was read
    #: Bytes of regular files under each asked-for path prefix, summed over every layer: a file
    #: a later layer deletes still ships, so it still counts.
    prefix_bytes: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    #: Where the layers read this time came from: "save" (a ``docker save`` stream), "storage"
    #: (the engine's own layer storage) or "cache" (none read: every layer was known).
    source: str = "save"
    #: How many of the image's layers were read (the rest came from the layer cache).
    layers_read: int = 0

    @property
    def tar_bytes(self) -> int:
        return sum(layer.tar_bytes for layer in self.layers)

    @property
    def content_bytes(self) -> int:
        return sum(layer.content_bytes for layer in self.layers)

    @property
    def unpacked_bytes(self) -> int:
        """The image unpacked: what overlay2's ``Size`` is on every engine, whatever its store."""
        return sum(layer.unpacked_bytes for layer in self.layers)


def short_command(created_by: str, limit: int = 80) -> str:
    """A history step's command as a reader wants it: no shell prefix, one line, ≤ limit."""
    text = _SHELL.sub("", created_by.strip())
    text = text.removeprefix("#(nop) ").removesuffix(" # buildkit")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _prefix_bytes(scans: Iterable[LayerTar], prefixes: tuple[str, ...]) -> dict[str, int]:
    totals = dict.fromkeys(prefixes, 0)
    for scan in scans:
        for path, (kind, size) in scan.entries.items():
            if kind != FILE or WHITEOUT in path:
                continue
            for prefix in prefixes:
                if path.startswith(prefix):
                    totals[prefix] += size
    return totals


def combine(
    ref: str,
    config: Mapping[str, Any],
    config_bytes: int,
    scans: Sequence[LayerTar],
    *,
    top: int = 10,
    prefixes: tuple[str, ...] = (),
    layout: str = "",
    source: str = "save",
    layers_read: int = 0,
) -> ImageAnatomy:
    """The image's anatomy from its config and its layers' scans, bottom layer first."""
    steps = [h for h in config.get("history") or [] if not h.get("empty_layer")]
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    if diff_ids and len(diff_ids) != len(scans):
        raise LayerError(f"{ref}: the config lists {len(diff_ids)} layers, the stream {len(scans)}")
    overlay = Overlay()
    paths: dict[str, list[Any]] = {}
    layers = []
    for index, scan in enumerate(scans):
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
                unpacked_bytes=scan.unpacked_bytes,
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
            None if None in compressed else sum(c or 0 for c in compressed) + config_bytes
        ),
        efficiency=low / cum if cum else 1.0,
        wasted_bytes=sum(seen[0] - seen[1] for _, seen in repeated),
        dive_wasted_bytes=sum(seen[0] for _, seen in repeated),
        top_wasted=tuple(w for w in wasted[:top] if w.wasted_bytes > 0),
        layout=layout,
        prefix_bytes=MappingProxyType(_prefix_bytes(scans, prefixes)),
        source=source,
        layers_read=layers_read,
    )
