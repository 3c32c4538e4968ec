"""Cache-friendly order: the dependency manifests copied and installed before the sources, so
an edit to the sources re-runs no install."""

from __future__ import annotations

import re

from kit.advise.edit import (
    apply,
    commands,
    flags_text,
    insert_before,
    remove_instruction,
    shell_runs,
)
from kit.advise.shellcmd import NPM_INSTALL, PIP_INSTALL
from kit.advise.technique import Candidate, Context, Technique, register
from kit.inputs.dockerfile import Dockerfile, Instruction
from kit.inputs.dockerlex import split_words

_NODE_MANIFESTS = ("package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock")
_REQUIREMENTS = re.compile(r"(?:-r|--requirement)\s+(\S+)")
#: Instructions that may stand between the COPY and the install without changing what it does.
_NEUTRAL = ("ENV", "ARG", "LABEL", "EXPOSE")


def _manifests(x: Instruction, context: Context) -> list[str]:
    parts = commands(x)
    if any(NPM_INSTALL.match(p) for p in parts):
        return [m for m in _NODE_MANIFESTS if (context.directory / m).is_file()]
    found = []
    for p in parts:
        if PIP_INSTALL.match(p):
            if re.search(r"\s\.(?:\s|$|\[)", p + " ") or " -e " in p:
                return []  # installs the project itself: it needs the sources
            found += [r for r in _REQUIREMENTS.findall(p) if (context.directory / r).is_file()]
    return found


@register
class CacheOrder(Technique):
    name = "cache-order"
    family = "cache-friendly order"
    does = "copies the dependency manifests and installs them before the sources"
    rank = 50

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        shell = {x.line for x in shell_runs(dockerfile)}
        for stage in dockerfile.stages:
            xs = list(stage.instructions)
            for i, x in enumerate(xs):
                words = split_words(x.args, dockerfile.escape)
                if x.keyword != "COPY" or x.flag("from") is not None or len(words) != 2:
                    continue
                if words[0] not in (".", "./"):
                    continue
                later = [y for y in xs[i + 1 :] if y.keyword not in _NEUTRAL]
                install = later[0] if later else None
                if install is None or install.line not in shell:
                    continue
                manifests = _manifests(install, context)
                if not manifests:
                    continue
                dest = words[1] if words[1] not in (".", "./") else "./"
                if len(manifests) > 1 and not dest.endswith("/"):
                    dest += "/"
                flags = flags_text(x)
                copy = "COPY " + (f"{flags} " if flags else "") + " ".join([*manifests, dest])
                run_text = text.splitlines()[install.line - 1 : install.end_line]
                edits = [
                    insert_before(x, copy + "\n" + "\n".join(run_text)),
                    remove_instruction(install),
                ]
                return self.made(
                    apply(text, edits),
                    [
                        f"COPY {' '.join(manifests)} and the install on line {install.line} "
                        f"before COPY . on line {x.line}"
                    ],
                )
        return self.na("no dependency install right after a COPY of the whole context")
