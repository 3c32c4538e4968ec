"""Light base: the same image's slimmer tag, and a distroless release where the final stage
needs no shell at run time. Only the release chain's base changes: a build stage keeps the
full image, whose compilers and headers its steps may need."""

from __future__ import annotations

import json
import re

from kit.advise.edit import apply, replace_instruction
from kit.advise.technique import Candidate, Context, Technique, register
from kit.inputs.dockerfile import Dockerfile, Stage
from kit.inputs.dockerlex import exec_form_words

#: (pattern on the FROM reference, replacement): the kit's table of slimmer tags. A written
#: reference that uses a build arg (``node:${NODE_VERSION}``) matches as well as a resolved one,
#: so the candidate keeps the arg.
LIGHTER: tuple[tuple[str, str], ...] = (
    (r"^(?P<n>(?:docker\.io/)?(?:library/)?node):(?P<v>[^-@]+)$", r"\g<n>:\g<v>-slim"),
    (
        r"^(?P<n>(?:docker\.io/)?(?:library/)?node):(?P<v>[^-@]+)-(?P<d>bookworm|bullseye)$",
        r"\g<n>:\g<v>-\g<d>-slim",
    ),
    (r"^(?P<n>(?:docker\.io/)?(?:library/)?python):(?P<v>[^-@]+)$", r"\g<n>:\g<v>-slim"),
    (
        r"^(?P<n>(?:docker\.io/)?(?:library/)?python):(?P<v>[^-@]+)-(?P<d>bookworm|bullseye)$",
        r"\g<n>:\g<v>-slim-\g<d>",
    ),
    (r"^(?P<n>(?:docker\.io/)?(?:library/)?debian):(?P<v>[^-@]+)$", r"\g<n>:\g<v>-slim"),
    (r"^kitbase/(?P<n>node|python):(?P<v>[^-@]+)-full$", r"kitbase/\g<n>:\g<v>-slim"),
)

#: Distroless releases by the family of the slim or full base, with the interpreter their
#: entrypoint already runs (so ``CMD ["node", "server.js"]`` becomes ``CMD ["server.js"]``).
DISTROLESS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        r"^(?:docker\.io/)?(?:library/)?node:18(?:[-.].*)?$",
        "gcr.io/distroless/nodejs18-debian12",
        ("node", "nodejs"),
    ),
    (
        r"^(?:docker\.io/)?(?:library/)?python:3\.11(?:[-.].*)?$",
        "gcr.io/distroless/python3-debian12",
        ("python", "python3", "python3.11"),
    ),
)


def lighter(ref: str, extra: dict[str, str] | None = None) -> str | None:
    """The slimmer tag of ``ref``: the user's table first (exact references), then the kit's."""
    if extra and ref in extra:
        return extra[ref]
    for pattern, repl in LIGHTER:
        if re.match(pattern, ref):
            return re.sub(pattern, repl, ref)
    return None


def release_stage(df: Dockerfile) -> Stage | None:
    """The last stage when it starts from an image (not from another stage of the file)."""
    if not df.stages:
        return None
    last = df.stages[-1]
    return None if df.stage_named(last.base, last.index) is not None else last


def _with_base(df: Dockerfile, text: str, stage: Stage, base: str) -> str:
    x = stage.instructions[0]
    return apply(text, [replace_instruction(x, "FROM " + x.args.replace(stage.base, base, 1))])


@register
class LightBase(Technique):
    name = "light-base"
    family = "light base"
    does = "the release stage starts from the same image's slimmer tag"
    rank = 80

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        stage = release_stage(dockerfile)
        if stage is None:
            return self.na("the release stage is built FROM another stage")
        new = lighter(stage.base, dict(context.lighter))
        if new is None:
            resolved = dockerfile.resolved({})[-1][1]
            new_resolved = lighter(resolved, dict(context.lighter))
            if new_resolved is None or "$" in stage.base:
                return self.na(f"no slimmer tag known for {stage.base}")
            new = new_resolved
        return self.made(_with_base(dockerfile, text, stage, new), [f"FROM {stage.base} → {new}"])


@register
class Distroless(Technique):
    name = "distroless"
    family = "light base"
    does = "the release stage starts from a distroless image (no shell, no package manager)"
    rank = 90

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        stage = release_stage(dockerfile)
        if stage is None:
            return self.na("the release stage is built FROM another stage")
        resolved = dockerfile.resolved({})[-1][1]
        found = next((d for d in DISTROLESS if re.match(d[0], resolved)), None)
        if found is None:
            return self.na(f"no distroless release known for {resolved}")
        _, image, interpreters = found
        if any(x.keyword == "RUN" for x in stage.instructions):
            return self.na("the release stage RUNs commands: a distroless base has no shell")
        edits = []
        changes = [f"FROM {stage.base} → {image}"]
        for x in stage.instructions:
            if x.keyword == "ENTRYPOINT":
                return self.na(f"ENTRYPOINT on line {x.line} would replace the image's own")
            if x.keyword != "CMD":
                continue
            words, exec_form = exec_form_words(x.args)
            if not exec_form:
                return self.na(f"CMD on line {x.line} is in shell form: it needs a shell")
            if not words or words[0].rsplit("/", 1)[-1] not in interpreters:
                return self.na(f"CMD on line {x.line} does not start the interpreter")
            # The distroless entrypoint is the interpreter already.
            edits.append(replace_instruction(x, f"CMD {json.dumps(words[1:])}"))
            changes.append(f"CMD without {words[0]} (the image's entrypoint runs it)")
        first = stage.instructions[0]
        edits.append(replace_instruction(first, "FROM " + first.args.replace(stage.base, image, 1)))
        return self.made(apply(text, edits), changes)
