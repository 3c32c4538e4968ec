"""The checks before a build: everything that cannot build here, refused in one error that names
each line (:mod:`kit.inputs.blockers`, and sources linked out of the context), with advice for each
kind of blocker that can apply."""

from __future__ import annotations

import re

from kit.engine import Engine
from kit.errors import BaseImageError, BuildError, BuilderSyntaxError
from kit.inputs.app import App, Variant
from kit.inputs.blockers import IMAGE, SYNTAX, Blocker, blockers
from kit.inputs.links import dangling
from kit.measure.advice import image_hint, local_refs

_LINK = "link"


def preflight(engine: Engine, app: App, variant: Variant, profile: str, builder: str) -> None:
    """Refuse, in one error naming every line, what cannot build here: syntax the builder (or
    this engine's BuildKit frontend) lacks, a source linked out of the context, and — under the
    local profile, where nothing can be pulled — every image (a FROM base, a ``COPY --from``
    image, a ``# syntax=`` frontend) that is not on the engine. A builder would stop at the
    first, each in its own words (a heredoc's body misread as instructions, only "not found"
    for a link)."""
    images = app.images(variant, profile)
    offline = profile == "local"
    major = _major(engine.info().version) if builder == "buildkit" else None
    found = blockers(
        variant.file,
        builder,
        images,
        present=(lambda ref: engine.images.inspect(ref) is not None) if offline else None,
        engine_major=major,
    )
    found += [
        Blocker(
            f.line,
            f"`{f.keyword} {f.source}`: `{f.link}` is a symbolic link to {f.target}, outside the "
            "build context, which no builder follows (it is read inside the context, where "
            "nothing is)",
            _LINK,
        )
        for f in dangling(app.directory, variant.file)
    ]
    if not found:
        return
    found.sort(key=lambda b: b.line)
    name = variant.dockerfile.name
    whys = {b.why for b in found}
    if len(whys) == 1 and None not in whys:  # "Dockerfile.x needs BuildKit (…): line 3: …"
        each = "; ".join(f"line {b.line}: {b.what}" for b in found)
        message = f"{name} {found[0].why}: {each}"
    elif len(found) == 1:
        message = f"{name}, line {found[0].line}: {found[0].text}"
    else:
        each = "; ".join(f"line {b.line}: {b.text}" for b in found)
        message = f"{name} cannot build here, for {len(found)} reasons: {each}"
    kinds = {b.kind for b in found}
    cls: type[BuildError] = BuildError
    if kinds == {SYNTAX}:
        cls = BuilderSyntaxError
    elif kinds == {IMAGE}:
        cls = BaseImageError
    refs = [b.image for b in found if b.kind == IMAGE and b.image]
    local = local_refs(app, variant)
    hints = [
        _hint(kind, builder, refs, profile, local) for kind in dict.fromkeys(b.kind for b in found)
    ]
    raise cls(
        message,
        app=app.name,
        variant=variant.name,
        file=variant.dockerfile,
        line=found[0].line,
        hint="; ".join(hints),
    )


def _hint(kind: str, builder: str, refs: list[str], profile: str, local: list[str] | None) -> str:
    if kind == IMAGE:
        return image_hint(refs, profile, local)
    if kind == _LINK:
        return "copy the file itself into the build context (or make the link point inside it)"
    if builder == "classic":
        return "build with --builder buildkit (the default where the engine supports it)"
    return (
        "build on Docker Engine 23+, or with a `# syntax=docker/dockerfile:1.4` line where its "
        "registry answers, or without the forms this engine's frontend lacks"
    )


def _major(version: str) -> int | None:
    m = re.match(r"v?(\d+)\.", version.strip())
    return int(m.group(1)) if m else None
