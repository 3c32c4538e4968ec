"""Everything that stops a Dockerfile from building here, found before the build and reported
at once, each with its line — not one per run, as the builder would (it stops at the first).

What blocks depends on the builder and on what the engine can fetch: the classic builder cannot
build BuildKit's syntax (:func:`kit.inputs.features.buildkit_only`); BuildKit's built-in frontend
on an engine older than 23.0 (Docker 20.10's, seen on this machine) knows no heredocs and few
flags, unless a ``# syntax=`` line brings another frontend — an image that, offline, must
already be on the engine, as must every ``FROM`` base and ``COPY --from`` image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kit.inputs.dockerfile import Dockerfile
from kit.inputs.features import buildkit_only

#: The flags Docker 20.10's built-in Dockerfile frontend accepts (checked on this engine: each
#: other flag of these instructions is "dockerfile parse error line N: Unknown flag: link").
BUILTIN_20_FLAGS = {
    "FROM": frozenset({"platform"}),
    "COPY": frozenset({"from", "chown", "chmod"}),
    "ADD": frozenset({"chown", "chmod"}),
    "RUN": frozenset({"mount"}),
}
SYNTAX, IMAGE = "syntax", "image"
#: The first engine whose built-in frontend reads heredocs (Dockerfile syntax 1.4, BuildKit 0.10).
HEREDOC_ENGINE = 23


@dataclass(frozen=True)
class Blocker:
    """One thing that stops the build: where, what, and its kind — "syntax" (the builder or
    its frontend lacks a form) or "image" (an image, a frontend's too, cannot be had)."""

    line: int
    what: str
    kind: str
    image: str | None = None
    #: Why ``what`` blocks, where many share it ("needs BuildKit …"); None: ``what`` says it.
    why: str | None = None

    @property
    def text(self) -> str:
        return f"{self.what} {self.why}" if self.why else self.what


def syntax_line(dockerfile: Dockerfile) -> int | None:
    """The line of the ``# syntax=`` directive (directives are the file's first lines)."""
    names = list(dockerfile.directives)
    return names.index("syntax") + 1 if "syntax" in names else None


def blockers(
    dockerfile: Dockerfile,
    builder: str,
    images: Sequence[tuple[int, str]],
    *,
    present: Callable[[str], bool] | None,
    engine_major: int | None,
) -> list[Blocker]:
    """What blocks the build, in line order. ``images`` are the (line, image) the build fetches
    (:meth:`kit.inputs.app.App.images`); ``present`` tells whether an image is on the engine,
    when nothing can be pulled (offline); None: images can be pulled. ``engine_major`` is the
    engine's major version (None: unknown, its frontend taken to read everything)."""
    found: list[Blocker] = []
    if builder == "classic":
        lacks = "needs BuildKit (the classic builder cannot build it)"
        found += [Blocker(f.line, f.what, SYNTAX, why=lacks) for f in buildkit_only(dockerfile)]
    else:
        found += _frontend(dockerfile, present, engine_major)
    if present is not None:
        found += [
            Blocker(line, f"`{what}` needs the image {ref}, which is not on the engine and "
                    "cannot be pulled offline", IMAGE, ref)
            for line, ref in images
            if not present(ref)
            for what in [_naming(dockerfile, line, ref)]
        ]  # fmt: skip
    return sorted(found, key=lambda f: f.line)


def _frontend(
    dockerfile: Dockerfile, present: Callable[[str], bool] | None, engine_major: int | None
) -> list[Blocker]:
    found: list[Blocker] = []
    syntax = dockerfile.directives.get("syntax")
    at = syntax_line(dockerfile)
    fetched = bool(syntax) and (present is None or present(syntax or ""))
    if syntax and at is not None and not fetched:
        found.append(
            Blocker(
                at,
                f"`# syntax={syntax}` makes BuildKit fetch the Dockerfile frontend image "
                f"{syntax}, which is not on the engine and cannot be pulled offline (without the "
                "line, the engine's built-in frontend builds it)",
                IMAGE,
                syntax,
            )
        )
    if fetched or engine_major is None or engine_major >= HEREDOC_ENGINE:
        return found
    builtin = f"this engine's built-in Dockerfile frontend (Docker {engine_major}.x)"
    for x in dockerfile.instructions:
        if x.heredocs:
            found.append(
                Blocker(x.line, f"the heredoc `{x.keyword} {x.args}` is not supported by "
                        f"{builtin}, which has no heredocs; they need Docker Engine "
                        f"{HEREDOC_ENGINE}+ or a `# syntax=docker/dockerfile:1.4` frontend", SYNTAX)
            )  # fmt: skip
        allowed = BUILTIN_20_FLAGS.get(x.keyword)
        if allowed is None:
            continue
        for name in dict.fromkeys(name for name, _ in x.flags if name not in allowed):
            found.append(
                Blocker(x.line, f"`{x.keyword} --{name}` is not supported by {builtin}; it "
                        f"needs Docker Engine {HEREDOC_ENGINE}+ or a newer `# syntax=` frontend",
                        SYNTAX)
            )  # fmt: skip
    return found


def _naming(dockerfile: Dockerfile, line: int, ref: str) -> str:
    """How the instruction on ``line`` names the image: ``FROM ref`` or ``COPY --from=ref``."""
    x = dockerfile.instruction_at(line)
    return f"FROM {ref}" if x is None or x.keyword == "FROM" else f"{x.keyword} --from={ref}"
