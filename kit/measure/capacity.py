"""Images per host: what sharing base layers saves on disk, from the engine's own numbers.

Per image the engine's ``docker system df -v`` gives ``Size`` and ``SharedSize`` — the bytes of
its layers that at least one other (top-level) image on the engine also uses, in practice its
base image's. (On the containerd image store those count compressed content, so there both are
added up from the unpacked bytes of the layers instead: :func:`from_layers`.)
``unique = Size - SharedSize`` is what one more image like it costs once the shared layers are
on disk.

**Capacity** answers: on a host with ``capacity_bytes`` of image storage, how many *different*
images of this variant's kind fit? (N copies of the same image cost one image, so that question
is meaningless.) Each further image is assumed to be built on the same base with an app part as
big as this one's:

- ``fit_separate = capacity // size``: nothing shared, every image costs its full size;
- ``fit_shared = (capacity - shared) // unique``: the shared layers once, then ``unique`` per
  image; 0 when one image alone does not fit, None when ``unique`` is 0 (unbounded).

For an app, ``separate_bytes`` is Σ sizes and ``together_bytes`` the union of its variants'
layers. Layers are shared by chain (a layer and everything below it), so the union is
Σ over variants of (size − size of the longest layer prefix shared with a variant counted
before). A prefix's size is the ``Size`` of an image on the engine whose layers are exactly that
prefix (the base image, or a classic build's step image), or — BuildKit keeps no step images — the
sum of the layer sizes the measured image's own history gives, when its layer-making steps pair
exactly with its layers and add up to its ``Size``; when neither tells, the union is unknown
(None) rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kit.engine import Engine, HistoryStep, ImageInfo
from kit.errors import ImageGoneError, LayerError
from kit.measure.anatomy.layercache import LayerCache
from kit.measure.anatomy.layers import analyze_image
from kit.model.samples import CapacityRow
from kit.util.units import GB

DEFAULT_CAPACITY = 10 * GB

Chain = tuple[str, ...]
#: History steps that make a layer even when it holds 0 bytes: BuildKit's RUN/COPY/ADD ("…
#: # buildkit") and WORKDIR, the classic builder's RUN ("/bin/sh -c …" without "#(nop)") and
#: its COPY/ADD. Metadata steps (ENV, CMD, LABEL …) make none.
_LAYER_STEP = re.compile(
    r"^(RUN|COPY|ADD|WORKDIR) |# buildkit$"
    r"|^/bin/sh -c #\(nop\) +(COPY|ADD) |^/bin/sh -c (?!#\(nop\))"
)


@dataclass(frozen=True)
class AppCapacity:
    app: str
    capacity_bytes: int
    rows: tuple[CapacityRow, ...]
    separate_bytes: int
    together_bytes: int | None


def fits(size: int, shared: int, capacity: int) -> tuple[int | None, int]:
    """``(fit_shared, fit_separate)`` as defined in the module docstring."""
    if size <= 0:
        raise ValueError(f"an image of {size} bytes")
    if not 0 <= shared <= size:
        raise ValueError(f"shared bytes {shared} outside 0..{size}")
    separate = capacity // size
    unique = size - shared
    if size > capacity:
        return 0, separate
    if unique == 0:
        return None, separate
    return (capacity - shared) // unique, separate


def common_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def union_bytes(chains: Sequence[Chain], prefix_size: Mapping[Chain, int]) -> int | None:
    """Bytes of the union of the layer chains; None when a needed prefix size is unknown."""
    total = 0
    counted: list[Chain] = []
    for chain in chains:
        shared = max((common_prefix(chain, seen) for seen in counted), default=0)
        full = prefix_size.get(chain)
        below = 0 if shared == 0 else prefix_size.get(chain[:shared])
        if full is None or below is None:
            return None
        total += full - below
        counted.append(chain)
    return total


def capacity_rows(
    app: str,
    images: Sequence[tuple[str, Chain, int, int]],
    prefix_size: Mapping[Chain, int],
    capacity_bytes: int = DEFAULT_CAPACITY,
) -> AppCapacity:
    """The pure part: ``images`` are ``(variant, layer chain, Size, SharedSize)``."""
    rows = []
    for variant, _chain, size, shared in images:
        fit_shared, fit_separate = fits(size, shared, capacity_bytes)
        rows.append(
            CapacityRow(app, variant, size, shared, size - shared, fit_shared, fit_separate)
        )
    sizes = {chain: size for _, chain, size, _ in images}
    return AppCapacity(
        app=app,
        capacity_bytes=capacity_bytes,
        rows=tuple(rows),
        separate_bytes=sum(size for _, _, size, _ in images),
        together_bytes=union_bytes([c for _, c, _, _ in images], {**prefix_size, **sizes}),
    )


def measure_capacity(
    engine: Engine,
    app: str,
    images: Sequence[tuple[str, str]],
    capacity_bytes: int = DEFAULT_CAPACITY,
    cache: LayerCache | None = None,
) -> AppCapacity:
    """Capacity rows for ``(variant, image_ref)`` pairs of one app, from ``docker system df``
    — or, on the containerd image store, whose ``df`` counts compressed content, from the
    unpacked bytes of each layer (:func:`from_layers`)."""
    usage = engine.images.disk_usage()
    measured: list[tuple[str, ImageInfo]] = []
    described = []
    for variant, ref in images:
        inspected = engine.images.inspect(ref)
        if inspected is None:
            raise ImageGoneError(f"image {ref} is not on the engine", app=app, variant=variant)
        row = usage.image(inspected.id)
        if row is None:
            raise ImageGoneError(f"docker system df does not list {ref}", app=app, variant=variant)
        measured.append((variant, inspected))
        described.append((variant, inspected.layers, row.size, row.shared_size))
    if engine.info().containerd_store:
        return from_layers(
            engine, app, measured, [u.id for u in usage.images], capacity_bytes, cache
        )
    prefixes = _prefix_sizes(engine, [i for _, i in measured])
    return capacity_rows(app, described, prefixes, capacity_bytes)


def from_layers(
    engine: Engine,
    app: str,
    measured: Sequence[tuple[str, ImageInfo]],
    top_level: Sequence[str],
    capacity_bytes: int = DEFAULT_CAPACITY,
    cache: LayerCache | None = None,
) -> AppCapacity:
    """The same rows from the layers themselves, as overlay2's ``df`` counts them: an image's
    size is Σ its layers' unpacked bytes, its shared size the bytes of the longest chain of
    layers it has in common with another of the ``top_level`` images ``df`` lists (layers are
    shared by chain: a layer and everything below it)."""
    chains = {}
    for image_id in top_level:
        if (other := engine.images.inspect(image_id)) is not None:
            chains[other.id] = other.layers
    described = []
    prefixes: dict[Chain, int] = {(): 0}
    for variant, inspected in measured:
        found = analyze_image(engine, inspected.id, compress=False, cache=cache)
        sizes = [layer.unpacked_bytes for layer in found.layers]
        if len(sizes) != len(inspected.layers):
            raise LayerError(
                f"{variant}: {len(sizes)} layers read, the engine lists {len(inspected.layers)}"
            )
        chain = inspected.layers
        for index in range(1, len(chain) + 1):
            prefixes[chain[:index]] = sum(sizes[:index])
        shared = max(
            (common_prefix(chain, c) for i, c in chains.items() if i != inspected.id), default=0
        )
        described.append((variant, chain, sum(sizes), sum(sizes[:shared])))
    return capacity_rows(app, described, prefixes, capacity_bytes)


def _prefix_sizes(engine: Engine, measured: Sequence[ImageInfo]) -> dict[Chain, int]:
    """Size of every layer chain some image on the engine ends at (the classic builder's step
    images included), and of every prefix of the measured images' chains their history gives
    (BuildKit keeps no step images)."""
    sizes: dict[Chain, int] = {(): 0}
    for image_id in engine.images.ids():
        inspected = engine.images.inspect(image_id)
        if inspected is not None:
            sizes[inspected.layers] = inspected.size
    for inspected in measured:
        for chain, size in history_prefix_sizes(inspected, engine.images.history(inspected.id)):
            sizes.setdefault(chain, size)
    return sizes


def history_prefix_sizes(
    image: ImageInfo, history: Sequence[HistoryStep]
) -> list[tuple[Chain, int]]:
    """(chain prefix, its size) from the image's history: the steps that made a layer, oldest
    first, paired with the layers. Nothing when the pairing does not add up exactly (a step
    whose layer is ambiguous): then only the images on the engine say."""
    made = [s for s in reversed(history) if s.size > 0 or _LAYER_STEP.search(s.created_by)]
    if len(made) != len(image.layers) or sum(s.size for s in made) != image.size:
        return []
    found, total = [], 0
    for index, step in enumerate(made, start=1):
        total += step.size
        found.append((image.layers[:index], total))
    return found
