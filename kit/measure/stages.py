"""Bytes per build stage: how much each stage of a multi-stage build holds, against what
reaches the release image.

Each named stage is built on its own (``target``) right after the variant's warm build (see
``build_cold_and_warm(while_cached=…)``), so every step is a cache hit and nothing is rebuilt;
its image is measured and its tag removed again.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit import profiles
from kit.build import image_tag
from kit.discover import App, Variant
from kit.engine import Engine
from kit.errors import BuildError


@dataclass(frozen=True)
class StageSize:
    app: str
    variant: str
    stage: str
    index: int
    base: str  # what the stage starts FROM
    size_bytes: int
    release: bool  # the last stage: what ships


def stage_sizes(engine: Engine, app: App, variant: Variant, profile: str) -> list[StageSize]:
    """Sizes of every named stage of a multi-stage variant (nothing for a single stage)."""
    text = variant.dockerfile.read_text(errors="replace")
    found = profiles.stages(text, app.build_args(variant, profile))
    if len(found) < 2:
        return []
    sizes = []
    for index, (name, base) in enumerate(found):
        release = index == len(found) - 1
        if name is None and not release:
            continue  # the classic builder targets stages by name only
        tag = image_tag(app, variant, profile) + (f"-stage-{index}" if not release else "")
        if release:
            image = engine.image(tag)
        else:
            before = engine.image_ids()
            built = engine.build(
                str(app.directory),
                str(variant.dockerfile.relative_to(app.directory)),
                tag=tag,
                buildargs=app.build_args(variant, profile),
                labels={"kit.app": app.name, "kit.variant": variant.name},
                nocache=False,
                target=name,
            )
            image = engine.image(tag) if built.image_id else None
            engine.remove_image(tag)  # untagged, it stays as cache until the build cleans up
            engine.remove_dangling_since(before)
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
            sizes.append(
                StageSize(app.name, variant.name, label, index, base, int(image["Size"]), release)
            )
    return sizes
