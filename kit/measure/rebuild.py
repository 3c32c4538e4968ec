"""Rebuild time after a one-line source edit: what Dockerfile step order costs day to day.

The build context is copied to a temp dir (the user's files are never touched), built once so
the cache is warm, then one application source file gets a comment line appended and the
variant is built again with the cache: that second build is timed, and its steps that did not
come from the cache are counted. ``COPY . .`` before ``npm install`` re-runs the install on
every edit; copying the dependency manifests first does not.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from kit.engine import BuildStep, Engine
from kit.errors import EngineGoneError, ExperimentConfigError, KitError
from kit.inputs.app import App, Variant
from kit.inputs.dockerfile import Dockerfile
from kit.measure.build import build, image_tag
from kit.measure.preflight import preflight
from kit.model.samples import RebuildResult

#: Tried in order when the caller names no file: the entry points of the bundled app kinds.
DEFAULT_SOURCES = ("server.js", "app.py", "main.py", "index.js")
_SLASH_COMMENT = {".js", ".mjs", ".cjs", ".ts", ".go", ".c", ".h", ".cc", ".cpp", ".java", ".rs"}


def pick_source(context: Path, edit: str | None = None) -> Path:
    """The file to edit: ``edit`` (relative to the context), else the first default entry
    point, else the first file under ``src/``."""
    if edit is not None:
        path = (context / edit).resolve()
        if not path.is_relative_to(context.resolve()) or not path.is_file():
            raise ExperimentConfigError(f"{edit} is not a file in the build context", file=edit)
        return path
    for name in DEFAULT_SOURCES:
        if (context / name).is_file():
            return context / name
    under_src = sorted(p for p in (context / "src").rglob("*") if p.is_file())
    if under_src:
        return under_src[0]
    raise ExperimentConfigError(
        f"no source file to edit: none of {', '.join(DEFAULT_SOURCES)} or src/**",
        file=context,
        hint="name the file to edit",
    )


def comment_line(path: Path, nonce: str) -> str:
    """A line that changes the file's bytes but not its meaning, in the file's language."""
    marker = "//" if path.suffix in _SLASH_COMMENT else "#"
    return f"{marker} kit rebuild {nonce}\n"


def append_comment(path: Path, nonce: str) -> None:
    data = path.read_bytes()
    prefix = b"" if not data or data.endswith(b"\n") else b"\n"
    path.write_bytes(data + prefix + comment_line(path, nonce).encode())


def rebuilt_steps(dockerfile: Dockerfile, steps: tuple[BuildStep, ...]) -> int:
    """How many of a build's steps did not come from the cache.

    Not counted: ``FROM`` (never a cached step), and under the classic builder the steps past
    the Dockerfile's own instructions — the ``LABEL`` steps it appends for the build's labels,
    which are the kit's, not the Dockerfile's — and the global ``ARG``s before the first
    ``FROM`` (never cached, never a layer). The classic builder numbers a step per instruction
    (``ENV`` and ``CMD`` too); BuildKit reports only the steps that make a filesystem change
    (``RUN``, ``COPY``, ``ADD``, ``WORKDIR``), so its counts are smaller for the same edit."""
    own = len(dockerfile.instructions)
    counted = 0
    for step in steps:
        if step.keyword == "FROM" or step.cached:
            continue
        if step.number is not None and not (
            0 < step.number <= own and dockerfile.instructions[step.number - 1].stage is not None
        ):
            continue
        counted += 1
    return counted


def measure_rebuild(
    engine: Engine,
    app: App,
    variant: Variant,
    profile: str,
    *,
    edit: str | None = None,
    on_line: Callable[[str], None] | None = None,
    builder: str = "classic",
) -> RebuildResult:
    """Warm build of a copy of the context, edit one file, time the rebuild.

    Its image is tagged ``kitexp/<app>:<variant>-<profile>-rebuild`` and removed afterwards,
    with every image the two builds left untagged; a failure is a ``failed`` result."""
    variant = variant.for_profile(profile)
    tag = image_tag(app, variant, profile, builder) + "-rebuild"
    workdir = Path(tempfile.mkdtemp(prefix="kit-rebuild-"))
    context = workdir / "context"
    before = engine.images.ids()
    edited: str | None = None
    try:
        preflight(engine, app, variant, profile, builder)
        shutil.copytree(app.directory, context, symlinks=True)
        copy = replace(app, directory=context)
        inside = context / variant.dockerfile.relative_to(app.directory)
        moved = replace(variant, file=replace(variant.file, path=inside))
        source = pick_source(context, edit)
        edited = str(source.relative_to(context))
        build(engine, copy, moved, profile, nocache=False, builder=builder, tag=tag)
        append_comment(source, secrets.token_hex(4))
        again = build(
            engine, copy, moved, profile, nocache=False, builder=builder, on_line=on_line, tag=tag
        )
        steps = rebuilt_steps(variant.file, again.steps)
        return RebuildResult(variant.name, edited, again.seconds, steps, "ok", None)
    except EngineGoneError:
        raise
    except KitError as exc:
        return RebuildResult(variant.name, edited, None, None, "failed", str(exc))
    finally:
        try:
            # Untag without pruning, then remove only images that are new since `before`: a
            # parent the user had before must never go as a side effect.
            engine.images.untag(tag)
            engine.images.remove_dangling_since(before)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
