"""Build one variant's image, cold then warm, with either builder, and classify what went wrong
when it fails. Every build has the app's time limit (``[build] timeout_s``): past it the build is
cancelled on the engine and the variant fails with a :class:`~kit.errors.BuildTimeoutError`.

Before a build, everything that cannot work is refused in one error naming each line
(:mod:`kit.measure.preflight`): syntax the builder or this engine's BuildKit frontend lacks, a
source linked out of the context, a local-profile image (a base, a ``COPY --from`` image, a
``# syntax=`` frontend) that is not on the engine. After a failed build, the engine's message is
explained by the line that caused it where the parsed Dockerfile can tell
(:func:`kit.inputs.features.explain`), else by the step it stopped at: its instruction and line
(:mod:`kit.inputs.failed`) and the cause that step printed (:mod:`kit.engine.causes`). A failed
classic build leaves the images of its finished steps behind as dangling images; they are
removed here, so a bad Dockerfile never leaves a half-built image on the engine (a BuildKit
build makes no image until it succeeds).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kit.engine import BuildStep, BuildStream, Engine
from kit.engine.causes import cause_of, exit_code
from kit.engine.leftovers import watch_build
from kit.errors import BaseImageError, BuildError, BuilderSyntaxError, BuildTimeoutError
from kit.inputs.app import App, Variant
from kit.inputs.dockerfile import Instruction
from kit.inputs.failed import locate, root_workdir
from kit.inputs.features import explain, unreachable
from kit.measure.advice import image_hint, local_refs
from kit.measure.preflight import preflight

#: The longest instruction a message quotes whole.
_QUOTE_CHARS = 80


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
    preflight(engine, app, variant, profile, builder)
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
        raise _failure(app, variant, profile, builder, stream)
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
    app: App, variant: Variant, profile: str, builder: str, stream: BuildStream
) -> BuildError:
    """The error of a failed build, explained by its line where the Dockerfile tells: an image
    or a form the builder lacks, else the step it stopped at and the cause that step printed."""
    error = (stream.error or "the build produced no image").strip()
    args = app.build_args(variant, profile)
    explained = explain(variant.file, builder, error, "\n".join(stream.log_tail), args)
    if unreachable(error):
        # With FROM ${BASE} neither the engine's message nor the log may name the image.
        refs = [ref for _, ref in app.images(variant, profile)]
        why = explained.text if explained else f"image(s) {', '.join(refs)} cannot be had"
        return _error(
            BaseImageError,
            f"build failed: {why}: {error}",
            app,
            variant,
            log_tail=stream.log_tail,
            hint=image_hint(refs, profile, local_refs(app, variant)),
        )
    if explained is not None:
        cls = BuilderSyntaxError if explained.kind == "syntax" else BuildError
        why = f"build failed: {explained.text}: {error}"
        return _error(cls, why, app, variant, log_tail=stream.log_tail)
    x = locate(variant.file, stream.failed) if stream.failed else None
    if x is None or stream.failed is None:
        return _error(BuildError, f"build failed: {error}", app, variant, log_tail=stream.log_tail)
    return _step_failure(app, variant, builder, x, stream.failed.output, error, stream.log_tail)


def _error(
    cls: type[BuildError], message: str, app: App, variant: Variant, **context: Any
) -> BuildError:
    return cls(message, app=app.name, variant=variant.name, file=variant.dockerfile, **context)


def _step_failure(
    app: App,
    variant: Variant,
    builder: str,
    x: Instruction,
    output: tuple[str, ...],
    error: str,
    log_tail: tuple[str, ...],
) -> BuildError:
    """ "Dockerfile.slim, line 7: `RUN npm i npm@latest -g` failed (exit code 1): npm ERR! …":
    the instruction, its line and the cause, where the engine said only that a command failed.
    """
    text = x.text if len(x.text) <= _QUOTE_CHARS else x.text[: _QUOTE_CHARS - 1] + "…"
    code = exit_code(error)
    cause = cause_of(output) if code is not None else None
    said = f"failed (exit code {code})" if code is not None else f"failed: {error}"
    message = f"{variant.dockerfile.name}, line {x.line}: `{text}` {said}"
    if cause:
        message += f": {cause}"
    hint = None
    if builder == "classic" and (w := root_workdir(variant.file, x, output)) is not None:
        message += (
            f" — the classic builder created WORKDIR {w.path} (line {w.line}) owned by root, "
            f"although `USER {w.user}` (line {w.user_line}) came before it"
        )
        hint = (
            f"make the directory the user's before USER: `RUN mkdir -p {w.path} && chown "
            f"{w.user} {w.path}`, or copy into it with `COPY --chown={w.user}`, or put "
            f"WORKDIR {w.path} before USER and chown it there; BuildKit (--builder buildkit) "
            "creates a missing WORKDIR owned by the current USER"
        )
    context = {"log_tail": log_tail, "hint": hint, "line": x.line, "cause": cause}
    return _error(BuildError, message, app, variant, **context)


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
    preflight(engine, app, variant, profile, builder)
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
