"""Bytes per build stage: how much each stage of a multi-stage build holds, against what
reaches the release image.

Each named stage is built on its own (``target``) right after the variant's warm build (see
``build_cold_and_warm(while_cached=…)``), so every step is a cache hit and nothing is rebuilt;
its image is measured and its tag removed again.
"""

from __future__ import annotations

from kit.engine import Engine
from kit.errors import BuildError
from kit.measure.build import image_tag
from kit.model.samples import StageSize
from kit.spec.app import App, Variant


def stage_sizes(engine: Engine, app: App, variant: Variant, profile: str) -> list[StageSize]:
    """Sizes of every named stage of a multi-stage variant (nothing for a single stage)."""
    found = app.stages(variant, profile)
    if len(found) < 2:
        return []
    sizes = []
    for index, (name, base) in enumerate(found):
        release = index == len(found) - 1
        if name is None and not release:
            continue  # the classic builder targets stages by name only
        tag = image_tag(app, variant, profile) + (f"-stage-{index}" if not release else "")
        if release:
            image = engine.images.inspect(tag)
        else:
            before = engine.images.ids()
            built = engine.builds.build(
                str(app.directory),
                str(variant.dockerfile.relative_to(app.directory)),
                tag=tag,
                buildargs=app.build_args(variant, profile),
                labels={"kit.app": app.name, "kit.variant": variant.name},
                nocache=False,
                target=name,
            )
            image = engine.images.inspect(tag) if built.image_id else None
            engine.images.remove(tag)  # untagged, it stays as cache until the build cleans up
            engine.images.remove_dangling_since(before)
            if built.image_id is None:
                raise BuildError(
                    f"stage {name!r} failed to build on its own: {built.error}",
                    app=app.name,
                    variant=variant.name,
                    file=variant.dockerfile,
                    log_tail=built.log_tail,
                )
        if image is not None:
            label = name or f"stage {index}"
            sizes.append(StageSize(app.name, variant.name, label, index, base, image.size, release))
    return sizes
