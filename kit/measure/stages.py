"""Bytes per build stage: how much each stage of a multi-stage build holds, against what
reaches the release image.

Each named stage is built on its own (``--target``) right after the variant's warm build (see
``build_cold_and_warm(while_cached=…)``), so every step is a cache hit and nothing is rebuilt;
its image is measured and its tag removed again. The classic builder builds every stage up to
the target; BuildKit only the stages the target needs (``Dockerfile.needed_stages``) — one of the
ways the builders differ. Unnamed stages cannot be targeted by either builder.
"""

from __future__ import annotations

from kit.engine import Engine
from kit.errors import BuildError, ImageGoneError
from kit.inputs.app import App, Variant
from kit.measure.anatomy.layercache import LayerCache
from kit.measure.build import build, image_tag
from kit.measure.size import image_bytes
from kit.model.samples import StageSize


def stage_sizes(
    engine: Engine,
    app: App,
    variant: Variant,
    profile: str,
    *,
    builder: str = "classic",
    cache: LayerCache | None = None,
) -> list[StageSize]:
    """Unpacked sizes (:func:`image_bytes`, as ``size_bytes``) of every named stage of a
    multi-stage variant (nothing for a single stage)."""
    found = app.stages(variant, profile)
    if len(found) < 2:
        return []
    sizes = []
    release_tag = image_tag(app, variant, profile, builder)
    for stage, (name, base) in zip(variant.file.stages, found, strict=True):
        release = stage.index == len(found) - 1
        if name is None and not release:
            continue  # neither builder can target an unnamed stage
        tag = release_tag + (f"-stage-{stage.index}" if not release else "")
        if release:
            image = engine.images.inspect(tag)
            size = None if image is None else image_bytes(engine, image, cache)
        else:
            before = engine.images.ids()
            try:
                built = build(
                    engine,
                    app,
                    variant,
                    profile,
                    nocache=False,
                    builder=builder,
                    tag=tag,
                    target=name,
                )
            except BuildError as exc:
                exc.message = f"stage {name!r} failed to build on its own: {exc.message}"
                raise
            image = engine.images.inspect(built.image_id)
            # Measured while tagged: on the containerd store untagging may delete the image.
            size = None if image is None else image_bytes(engine, image, cache)
            engine.images.remove(tag)  # untagged, it stays as cache until the build cleans up
            engine.images.remove_dangling_since(before)
        label = name or f"stage {stage.index}"
        if size is None:
            # Gone between its build and its measurement: a missing stage would pass for one
            # that holds nothing worth showing.
            raise ImageGoneError(f"the image of stage {label!r} is gone before it was measured")
        sizes.append(StageSize(app.name, variant.name, label, stage.index, base, size, release))
    return sizes
