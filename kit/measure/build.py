"""Build one variant's image, cold then warm, and classify what went wrong when it fails.

A failed classic build leaves the images of its finished steps behind as dangling images; they
are removed here, so a bad Dockerfile never leaves a half-built image on the engine.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from kit.engine import Engine
from kit.engine.leftovers import watch_build
from kit.errors import BaseImageError, BuildError
from kit.spec.app import App, Variant

# Engine messages that mean "a FROM image is not here and cannot be fetched".
_UNREACHABLE = re.compile(
    r"pull access denied|repository does not exist|no such host|dial tcp|"
    r"i/o timeout|TLS handshake timeout|manifest unknown|not found: manifest",
    re.IGNORECASE,
)
_OFFLINE_HINT = "use profile `local` (the kit's embedded bases) or run `kit bases` to make them"


@dataclass(frozen=True)
class BuildOutcome:
    image_id: str
    tag: str
    seconds: float


def image_tag(app: App, variant: Variant, profile: str) -> str:
    repo = re.sub(r"[^a-z0-9_.-]+", "-", app.name.lower()).strip("-._") or "app"
    return f"kitexp/{repo}:{variant.name}-{profile}"


def check_bases(engine: Engine, app: App, variant: Variant, profile: str) -> None:
    """Fail fast, with advice, when a local-profile base is missing (no pull will save it)."""
    if profile != "local":
        return
    for ref in app.bases(variant, profile):
        if engine.images.inspect(ref) is None:
            raise BaseImageError(
                f"base image {ref!r} is not on the engine and cannot be pulled offline",
                app=app.name,
                variant=variant.name,
                file=variant.dockerfile,
                hint=_OFFLINE_HINT,
            )


def build_labels(app: App, variant: Variant, profile: str) -> dict[str, str]:
    return {"kit.app": app.name, "kit.variant": variant.name, "kit.profile": profile}


def build(
    engine: Engine,
    app: App,
    variant: Variant,
    profile: str,
    *,
    nocache: bool,
    on_line: Callable[[str], None] | None = None,
    tag: str | None = None,
) -> BuildOutcome:
    """Build one variant (tagged ``tag``, by default its experiment tag); raise when it fails."""
    tag = tag or image_tag(app, variant, profile)
    before = engine.images.ids()
    started = time.perf_counter()
    try:
        # Step containers and images carry no label of the kit's: the journal names them, in
        # case the engine dies mid-build and only a later run can remove them.
        with engine.leftovers.journal():
            stream = engine.builds.build(
                str(app.directory),
                str(variant.dockerfile.relative_to(app.directory)),
                tag=tag,
                buildargs=app.build_args(variant, profile),
                labels=build_labels(app, variant, profile),
                nocache=nocache,
                on_line=watch_build(on_line),
            )
    except BaseException:
        # Ctrl-C or a vanished engine mid-build: the finished steps' images must still go.
        with contextlib.suppress(Exception):
            engine.images.remove_dangling_since(before)
        raise
    seconds = time.perf_counter() - started
    if stream.image_id is None:
        engine.images.remove_dangling_since(before)
        error = (stream.error or "the build produced no image").strip()
        cls = BaseImageError if _UNREACHABLE.search(error) else BuildError
        if cls is BaseImageError:
            # With FROM ${BASE} neither the engine's message nor the log names the image.
            refs = app.bases(variant, profile)
            error = f"base image(s) {', '.join(refs)} cannot be had: {error}"
        raise cls(
            f"build failed: {error}",
            app=app.name,
            variant=variant.name,
            file=variant.dockerfile,
            log_tail=stream.log_tail,
            hint=_OFFLINE_HINT if cls is BaseImageError else None,
        )
    return BuildOutcome(image_id=stream.image_id, tag=tag, seconds=seconds)


def build_cold_and_warm(
    engine: Engine,
    app: App,
    variant: Variant,
    profile: str,
    on_line: Callable[[str], None] | None = None,
    while_cached: Callable[[], None] | None = None,
) -> tuple[BuildOutcome, BuildOutcome]:
    """Cold: the variant's previous image removed and no cache; warm: the same build again.

    ``while_cached`` runs after the warm build, while the earlier stages' images still serve
    as cache (building a single stage then costs no step)."""
    check_bases(engine, app, variant, profile)
    engine.images.remove(image_tag(app, variant, profile), force=True)
    before = engine.images.ids()
    try:
        cold = build(engine, app, variant, profile, nocache=True, on_line=on_line)
        warm = build(engine, app, variant, profile, nocache=False, on_line=on_line)
        if while_cached is not None:
            while_cached()
    finally:
        # The classic builder keeps earlier stages as untagged images; once the warm build has
        # used them as cache they are clutter, and a rerun measures cold anyway.
        engine.images.remove_dangling_since(before)
    return cold, warm
