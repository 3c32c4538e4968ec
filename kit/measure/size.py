"""Size, layer count and history of a built image, read from the engine's own records."""

from __future__ import annotations

from dataclasses import dataclass

from kit.engine import Engine
from kit.errors import ImageGoneError


@dataclass(frozen=True)
class SizeMeasure:
    size_bytes: int
    layers: int
    history_steps: int
    empty_steps: int
    base_image: str | None
    base_bytes: int | None


def measure_size(engine: Engine, image_id: str, base_image: str | None) -> SizeMeasure:
    """The image's size and layers, and the size of the base its release stage starts from."""
    inspected = engine.images.inspect(image_id)
    if inspected is None:
        raise ImageGoneError(f"image {image_id} vanished before it could be measured")
    history = engine.images.history(image_id)
    base_bytes: int | None = None
    if base_image is not None and base_image.lower() == "scratch":
        base_bytes = 0
    elif base_image is not None and (base := engine.images.inspect(base_image)) is not None:
        base_bytes = base.size
    # Size is the engine's own number; with the containerd image store its meaning differs
    # (moby #53398), which is why every row records the storage driver too.
    return SizeMeasure(
        size_bytes=inspected.size,
        layers=len(inspected.layers),
        history_steps=len(history),
        empty_steps=sum(1 for step in history if not step.size),
        base_image=base_image,
        base_bytes=base_bytes,
    )
