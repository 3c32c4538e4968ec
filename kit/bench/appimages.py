"""The images of an app's variants for the layer bench: built (with the build cache) when missing,
and the one sharing the most layers with another image."""

from __future__ import annotations

from kit.engine import Engine
from kit.errors import KitError
from kit.inputs.app import load_app
from kit.measure.build import build, image_tag
from kit.measure.capacity import common_prefix


def app_images(app_dir: str, profile: str) -> tuple[list[str], list[str]]:
    """Tags of the app's variants' images, and notes on any that could not be had."""
    app = load_app(app_dir)
    engine = Engine.connect()
    images: list[str] = []
    notes: list[str] = []
    try:
        for variant in (v.for_profile(profile) for v in app.variants):
            tag = image_tag(app, variant, profile)
            if engine.images.inspect(tag) is None:
                try:
                    build(engine, app, variant, profile, nocache=False)
                except KitError as exc:
                    notes.append(f"{app.name} {variant.name} left out: {exc.message}")
                    continue
            images.append(tag)
    finally:
        engine.close()
    return images, notes


def sibling_of(ref: str, images: list[str]) -> str | None:
    """The image sharing the most bottom layers with ``ref`` (None: none shares any)."""
    engine = Engine.connect()
    try:
        base = engine.images.inspect(ref)
        best, shared = None, 0
        for image in images:
            found = engine.images.inspect(image)
            if base is None or found is None or found.id == base.id:
                continue
            common = common_prefix(base.layers, found.layers)
            if common > shared:
                best, shared = image, common
        return best
    finally:
        engine.close()
