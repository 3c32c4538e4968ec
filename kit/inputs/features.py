"""What a Dockerfile asks of its builder, read from the parsed model: the instructions the
classic builder cannot build, and the engine's build errors explained by the line that caused
them.

The classic builder knows no heredocs and few flags (FROM ``--platform``, COPY ``--from`` and
``--chown``, ADD ``--chown``); everything else — ``RUN --mount``/``--network``/``--security``,
``COPY --link``/``--chmod``/``--parents``/``--exclude``, ``ADD --checksum``/``--keep-git-dir`` … —
is BuildKit's. BuildKit's built-in Dockerfile frontend depends on the engine: Docker 20.10's knows
``RUN --mount`` and ``--chmod`` but neither heredocs nor ``--link``; a ``# syntax=`` line asks
for another frontend, an image fetched from a registry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kit.inputs.dockerfile import Dockerfile, Instruction

#: The flags the classic builder accepts, per instruction (the others are BuildKit's).
CLASSIC_FLAGS = {
    "FROM": frozenset({"platform"}),
    "COPY": frozenset({"from", "chown"}),
    "ADD": frozenset({"chown"}),
    "RUN": frozenset(),
}
_PARSE_LINE = re.compile(r"dockerfile parse error (?:on )?line (\d+): (.+)", re.I)
#: BuildKit's lines about an image source: "#5 FROM docker.io/…", " > FROM docker.io/…:".
_IMAGE_SOURCE = re.compile(r"^(#\d+| >) (FROM|resolve) ")
_UNKNOWN_FLAG = re.compile(r"unknown flag: (\S+)", re.I)
_UNREACHABLE = re.compile(
    r"pull access denied|repository does not exist|no such host|dial tcp|i/o timeout|"
    r"TLS handshake timeout|manifest unknown|not found: manifest|failed to do request|"
    r"failed to resolve source metadata|connection refused",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Explanation:
    """Why a build failed, by the line that caused it: ``kind`` is "syntax" (the builder or its
    frontend lacks a form) or "image" (an image, or a frontend, cannot be fetched)."""

    kind: str
    text: str


@dataclass(frozen=True)
class Feature:
    """One use of a builder feature: where, and what it is (``RUN --mount``, a heredoc)."""

    line: int
    what: str


def _heredoc(x: Instruction) -> str:
    return f"heredoc `{x.keyword} {x.args}`"


def buildkit_only(dockerfile: Dockerfile) -> list[Feature]:
    """Instructions the classic builder cannot build, in order."""
    found = []
    for x in dockerfile.instructions:
        if x.heredocs:
            found.append(Feature(x.line, _heredoc(x)))
        allowed = CLASSIC_FLAGS.get(x.keyword)
        if allowed is None:
            continue
        # A flag given twice (two cache mounts on one RUN) is one finding.
        names = dict.fromkeys(name for name, _ in x.flags if name not in allowed)
        found += [Feature(x.line, f"`{x.keyword} --{name}`") for name in names]
    return found


def unreachable(error: str) -> bool:
    """Whether an engine error says an image could not be fetched from its registry."""
    return bool(_UNREACHABLE.search(error))


def _named(image: str, text: str) -> bool:
    """Whether the engine's ``text`` names ``image`` (it may add docker.io/library/)."""
    name = image.split("@")[0]
    short = name.removeprefix("docker.io/").removeprefix("library/")
    forms = {name, short, f"docker.io/library/{short}", f"docker.io/{short}"}
    return any(re.search(r"(?<![\w./-])" + re.escape(form) + r"(?![\w.-])", text) for form in forms)


def explain(
    dockerfile: Dockerfile, builder: str, error: str, log: str, buildargs: Mapping[str, str]
) -> Explanation | None:
    """A failed build's cause, named by its line, where the model can tell; None otherwise."""
    rel = dockerfile.path.name
    parse = _PARSE_LINE.search(error)
    if parse is not None:
        line, detail = int(parse.group(1)), parse.group(2)
        x = dockerfile.instruction_at(line)
        if x is not None and x.heredocs and line > x.line:
            engine = (
                "the classic builder"
                if builder == "classic"
                else ("this engine's built-in Dockerfile frontend (Docker 20.10's has no heredocs)")
            )
            return Explanation(
                "syntax",
                f"{rel}, line {x.line}: the {_heredoc(x)} is not supported by {engine}, which read "
                f"the heredoc's line {line} as an instruction ({detail})"
                + (
                    ""
                    if builder == "classic"
                    else "; heredocs need Docker Engine 23+ or a "
                    "`# syntax=docker/dockerfile:1.4` frontend from a registry that answers"
                ),
            )
        flag = _UNKNOWN_FLAG.search(detail)
        if flag is not None and x is not None and builder == "buildkit":
            return Explanation(
                "syntax",
                f"{rel}, line {x.line}: `{x.keyword} --{flag.group(1)}` is not supported by this "
                "engine's built-in Dockerfile frontend; it needs a newer BuildKit frontend "
                "(Docker Engine 23+)",
            )
    if not unreachable(error):
        return None
    syntax = dockerfile.directives.get("syntax")
    if syntax and builder == "buildkit" and (_named(syntax, error) or "frontend gateway" in error):
        at = list(dockerfile.directives).index("syntax") + 1  # directives are the first lines
        return Explanation(
            "image",
            f"{rel}, line {at}: `# syntax={syntax}` makes BuildKit fetch the Dockerfile frontend "
            f"image {syntax} from its registry, which does not answer; remove the line to use the "
            "engine's built-in frontend",
        )
    images = dockerfile.base_images(buildargs)
    resolved = [ref for _, ref in dockerfile.resolved(buildargs)]
    where = [
        (stage.line, f"FROM {ref}", ref)
        for stage, ref in zip(dockerfile.stages, resolved, strict=True)
        if ref in images
    ]
    where += [(n, f"COPY --from={ref}", ref) for n, ref in dockerfile.copied_images(buildargs)]
    # Only the error and the log's image-source lines: a step's own output may name anything.
    sources = "\n".join(x for x in log.splitlines() if _IMAGE_SOURCE.match(x))
    for line, what, ref in where:
        if _named(ref, error) or _named(ref, sources):
            return Explanation(
                "image",
                f"{rel}, line {line}: `{what}` needs the image {ref}, which is not on the engine "
                "and whose registry does not answer",
            )
    return None
