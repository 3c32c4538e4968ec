"""Build one variant's image, cold then warm, with either builder, and classify what went wrong
when it fails. Every build has the app's time limit (``[build] timeout_s``): past it the build is
cancelled on the engine and the variant fails with a :class:`~kit.errors.BuildTimeoutError`.

Before a build, what cannot work is refused with a clear error naming the line: BuildKit-only
syntax under the classic builder, a local-profile image that is not on the engine. After a failed
build, the engine's message is explained by the line that caused it where the parsed Dockerfile
can tell (:func:`kit.spec.features.explain`). A failed classic build leaves the images of its
finished steps behind as dangling images; they are removed here, so a bad Dockerfile never leaves
a half-built image on the engine (a BuildKit build makes no image until it succeeds).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from kit.engine import BuildStep, Engine
from kit.engine.leftovers import watch_build
from kit.errors import BaseImageError, BuildError, BuilderSyntaxError, BuildTimeoutError
from kit.spec.app import App, Variant
from kit.spec.features import buildkit_only, explain, unreachable
from kit.spec.links import dangling

_OFFLINE_HINT = "use profile `local` (the kit's embedded bases) or run `kit bases` to make them"


@dataclass(frozen=True)
class BuildOutcome:
    image_id: str
    tag: str
    seconds: float
    steps: tuple[BuildStep, ...] = ()


def image_tag(app: App, variant: Variant, profile: str, builder: str = "buildkit") -> str:
    """``kitexp/<app>:<variant>-<profile>``; ``-classic`` appended for the classic builder, so
    both builders' images of one variant can stand side by side."""
    repo = re.sub(r"[^a-z0-9_.-]+", "-", app.name.lower()).strip("-._") or "app"
    return f"kitexp/{repo}:{variant.name}-{profile}" + ("-classic" if builder == "classic" else "")


def check_bases(engine: Engine, app: App, variant: Variant, profile: str) -> None:
    """Fail fast, with advice, when a local-profile image (a FROM base, a ``COPY --from``
    image) is missing: no pull will save it."""
    if profile != "local":
        return
    for line, ref in app.images(variant, profile):
        if engine.images.inspect(ref) is None:
            raise BaseImageError(
                f"{variant.dockerfile.name}, line {line}: image {ref!r} is not on the engine "
                "and cannot be pulled offline",
                app=app.name,
                variant=variant.name,
                file=variant.dockerfile,
                hint=_OFFLINE_HINT,
            )


def check_builder(app: App, variant: Variant, builder: str) -> None:
    """Refuse, naming the line, what the classic builder cannot build (before it says so in
    its own words, or misreads a heredoc's lines as instructions)."""
    if builder != "classic":
        return
    found = buildkit_only(variant.file)
    if found:
        where = "; ".join(f"line {f.line}: {f.what}" for f in found)
        raise BuilderSyntaxError(
            f"{variant.dockerfile.name} needs BuildKit (the classic builder cannot build it): "
            + where,
            app=app.name,
            variant=variant.name,
            file=variant.dockerfile,
            hint="build with --builder buildkit (the default where the engine supports it)",
        )


def check_links(app: App, variant: Variant) -> None:
    """Refuse, naming the link and where it points, a source that follows a symbolic link out
    of the context to nothing: either builder would fail on it with only "not found"."""
    found = dangling(app.directory, variant.file)
    if found:
        where = "; ".join(
            f"line {f.line}: `{f.keyword} {f.source}`: `{f.link}` is a symbolic link to "
            f"{f.target}, outside the build context"
            for f in found
        )
        raise BuildError(
            f"{variant.dockerfile.name} copies through a link out of its context, which no "
            f"builder follows (it is read inside the context, where nothing is): {where}",
            app=app.name,
            variant=variant.name,
            file=variant.dockerfile,
            hint="copy the file itself into the build context (or make the link point inside it)",
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
    builder: str = "classic",
    on_line: Callable[[str], None] | None = None,
    tag: str | None = None,
    target: str | None = None,
) -> BuildOutcome:
    """Build one variant (tagged ``tag``, by default its experiment tag); raise when it fails."""
    tag = tag or image_tag(app, variant, profile, builder)
    check_builder(app, variant, builder)
    check_links(app, variant)
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
                builder=builder,
                target=target,
                on_line=watch_build(on_line),
                timeout_s=app.build_timeout_s,
            )
    except BaseException:
        # Ctrl-C or a vanished engine mid-build: the finished steps' images must still go.
        with contextlib.suppress(Exception):
            engine.images.remove_dangling_since(before)
        raise
    seconds = time.perf_counter() - started
    if stream.image_id is None:
        engine.images.remove_dangling_since(before)
        if stream.timed_out:
            raise _timed_out(app, variant, builder, stream.log_tail)
        raise _failure(app, variant, profile, builder, stream.error, stream.log_tail)
    return BuildOutcome(stream.image_id, tag, seconds, stream.steps)


def _timed_out(
    app: App, variant: Variant, builder: str, log_tail: tuple[str, ...]
) -> BuildTimeoutError:
    limit = f"{app.build_timeout_s:g} s"
    return BuildTimeoutError(
        f"build timed out: {variant.dockerfile.name} did not finish within {limit} "
        f"([build] timeout_s); the {builder} build was cancelled",
        app=app.name,
        variant=variant.name,
        file=variant.dockerfile,
        log_tail=log_tail,
        hint="raise [build] timeout_s in experiment.toml (or --build-timeout) if the build "
        "needs longer; a step that waits forever never ends",
    )


def _failure(
    app: App,
    variant: Variant,
    profile: str,
    builder: str,
    error: str | None,
    log_tail: tuple[str, ...],
) -> BuildError:
    """The error of a failed build, explained by its line where the Dockerfile tells."""
    error = (error or "the build produced no image").strip()
    args = app.build_args(variant, profile)
    explained = explain(variant.file, builder, error, "\n".join(log_tail), args)
    why = explained.text if explained else None
    cls: type[BuildError] = BuildError
    if unreachable(error):
        cls = BaseImageError
        # With FROM ${BASE} neither the engine's message nor the log may name the image.
        refs = [ref for _, ref in app.images(variant, profile)]
        why = why or f"image(s) {', '.join(refs)} cannot be had"
    elif explained is not None and explained.kind == "syntax":
        cls = BuilderSyntaxError
    return cls(
        f"build failed: {why}: {error}" if why else f"build failed: {error}",
        app=app.name,
        variant=variant.name,
        file=variant.dockerfile,
        log_tail=log_tail,
        hint=_OFFLINE_HINT if cls is BaseImageError else None,
    )


def build_cold_and_warm(
    engine: Engine,
    app: App,
    variant: Variant,
    profile: str,
    on_line: Callable[[str], None] | None = None,
    while_cached: Callable[[], None] | None = None,
    *,
    builder: str = "classic",
) -> tuple[BuildOutcome, BuildOutcome]:
    """Cold: the variant's previous image removed and no cache; warm: the same build again.

    ``while_cached`` runs after the warm build, while the earlier stages' images (classic) or
    BuildKit's cache still serve as cache (building a single stage then costs no step)."""
    check_builder(app, variant, builder)
    check_bases(engine, app, variant, profile)
    engine.images.remove(image_tag(app, variant, profile, builder), force=True)
    before = engine.images.ids()
    try:
        cold = build(engine, app, variant, profile, nocache=True, builder=builder, on_line=on_line)
        warm = build(engine, app, variant, profile, nocache=False, builder=builder, on_line=on_line)
        if while_cached is not None:
            while_cached()
    finally:
        # The classic builder keeps earlier stages as untagged images; once the warm build has
        # used them as cache they are clutter, and a rerun measures cold anyway.
        engine.images.remove_dangling_since(before)
    return cold, warm
