"""Size, layer count and history of a built image.

``size_bytes`` is the image unpacked, as overlay2's ``Size`` counts it, on every engine: there it is
the engine's own figure; on the containerd image store ``Size`` is the compressed content
(moby's ``image_inspect.go``), so the unpacked size is added up from the layers themselves
(regular files plus symlink targets, which is exactly what overlay2 reports). The engine's own
figure is kept beside it, labelled, either way."""

from __future__ import annotations

from dataclasses import dataclass

from kit.engine import Engine, ImageInfo
from kit.errors import ImageGoneError
from kit.measure.anatomy.layercache import LayerCache
from kit.measure.anatomy.layers import analyze_image


@dataclass(frozen=True)
class SizeMeasure:
    size_bytes: int
    engine_size_bytes: int  # the engine's inspect ``Size``, whatever it means on its store
    layers: int
    history_steps: int
    empty_steps: int
    base_image: str | None
    base_bytes: int | None


def measure_size(
    engine: Engine, image_id: str, base_image: str | None, cache: LayerCache | None = None
) -> SizeMeasure:
    """The image's size and layers, and the size of the base its release stage starts from."""
    inspected = engine.images.inspect(image_id)
    if inspected is None:
        raise ImageGoneError(f"image {image_id} vanished before it could be measured")
    history = engine.images.history(image_id)
    unpacked_store = not engine.info().containerd_store
    base_bytes: int | None = None
    if base_image is not None and base_image.lower() == "scratch":
        base_bytes = 0
    elif base_image is not None and (base := engine.images.inspect(base_image)) is not None:
        base_bytes = image_bytes(engine, base, cache)
    if unpacked_store:
        size, empty = inspected.size, sum(1 for step in history if not step.size)
    else:
        # There a history step's size is the snapshot's disk usage, never 0 for an empty diff:
        # a step is empty when it made no layer or a layer of no bytes, as overlay2 counts it.
        size, empty_layers = _unpacked(engine, inspected.id, cache)
        empty = len(history) - len(inspected.layers) + empty_layers
    return SizeMeasure(
        size_bytes=size,
        engine_size_bytes=inspected.size,
        layers=len(inspected.layers),
        history_steps=len(history),
        empty_steps=empty,
        base_image=base_image,
        base_bytes=base_bytes,
    )


def image_bytes(engine: Engine, image: ImageInfo, cache: LayerCache | None = None) -> int:
    """One image's unpacked size, as ``size_bytes`` counts it on every store."""
    if not engine.info().containerd_store:
        return image.size
    return _unpacked(engine, image.id, cache)[0]


def _unpacked(engine: Engine, image_id: str, cache: LayerCache | None) -> tuple[int, int]:
    """The image's unpacked bytes and how many of its layers hold none."""
    found = analyze_image(engine, image_id, cache=cache)
    return found.unpacked_bytes, sum(1 for layer in found.layers if not layer.unpacked_bytes)
