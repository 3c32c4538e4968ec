"""A failed build step mapped back to the Dockerfile instruction (and line) it ran, and one
failure the Dockerfile itself explains: a ``WORKDIR`` the classic builder made for root.

Each builder numbers its steps its own way, and both are checked against the instruction's
keyword before they are trusted. The classic builder's ``Step N/M`` counts every instruction,
global ``ARG``s and metadata ones included (so step N is the file's Nth instruction; M has one
more when the build adds labels). BuildKit's ``[stage i/n]`` counts, per stage, its ``FROM``
and the instructions that make a filesystem step — ``RUN``, ``COPY``, ``ADD``, ``WORKDIR`` —
and names the stage (``build``; ``stage-2`` for an unnamed one of several; nothing for the only
one). A step neither count finds is matched by its text.

``WORKDIR`` creates a missing directory. The classic builder creates it owned by root whatever
the ``USER`` (moby/moby#36677, open since 2018 and kept for compatibility); BuildKit's Dockerfile
frontend creates it owned by the current ``USER`` (``llb.Mkdir`` with ``WithUser``, moby/buildkit
#1002; seen on this engine's 20.10 BuildKit too). So ``USER node`` then ``WORKDIR /app`` then
``RUN npm ci`` fails with EACCES under the classic builder only.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from kit.engine.models import FailedStep
from kit.inputs.dockerfile import Dockerfile, Instruction, Stage

#: Instructions BuildKit's ``[stage i/n]`` counts after the stage's FROM.
_BUILDKIT_STEPS = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})
_UNNAMED = re.compile(r"^stage-(\d+)$")
_DENIED = re.compile(r"EACCES|permission denied", re.IGNORECASE)
_QUOTED = re.compile(r"['‘’\"]([^'‘’\"]+)['‘’\"]")
_NPM_PATH = re.compile(r"^npm (?:ERR!|error) path (\S+)$")
_ROOT = frozenset({"root", "0"})


@dataclass(frozen=True)
class RootWorkdir:
    """A ``WORKDIR`` after a non-root ``USER``, which the classic builder created for root."""

    path: str
    line: int  # the WORKDIR's
    user: str
    user_line: int


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def locate(dockerfile: Dockerfile, failed: FailedStep) -> Instruction | None:
    """The instruction the failed step ran, if the Dockerfile shows which."""
    step = failed.step
    if step.number is not None:
        every = dockerfile.instructions
        if 1 <= step.number <= len(every) and every[step.number - 1].keyword == step.keyword:
            return every[step.number - 1]
    elif failed.index is not None and (stage := _stage(dockerfile, step.stage)) is not None:
        counted = [stage.instructions[0]] + [
            x for x in stage.instructions[1:] if x.keyword in _BUILDKIT_STEPS
        ]
        i, n = failed.index
        if n == len(counted) and 1 <= i <= n and counted[i - 1].keyword == step.keyword:
            return counted[i - 1]
    text = _squeeze(step.instruction)
    found = [x for x in dockerfile.instructions if _squeeze(x.text) == text]
    return found[0] if len(found) == 1 else None


def _stage(dockerfile: Dockerfile, label: str | None) -> Stage | None:
    if label is None:
        return dockerfile.stages[0] if len(dockerfile.stages) == 1 else None
    if (m := _UNNAMED.match(label)) and int(m.group(1)) < len(dockerfile.stages):
        return dockerfile.stages[int(m.group(1))]
    return dockerfile.stage_named(label)


def root_workdir(
    dockerfile: Dockerfile, x: Instruction, output: Sequence[str]
) -> RootWorkdir | None:
    """Under the classic builder: the ``WORKDIR`` whose directory a ``RUN`` was denied, when a
    non-root ``USER`` came before it (so the builder created it for root, not that user)."""
    if x.keyword != "RUN" or x.stage is None:
        return None
    denied = [line for line in output if _DENIED.search(line)]
    if not denied:
        return None
    user: tuple[str, int] | None = None
    here = "/"
    made: list[RootWorkdir] = []
    before = [y for y in dockerfile.stages[x.stage].instructions if y.line < x.line]
    for y in before:
        if y.keyword == "USER":
            name = y.args.split(":", 1)[0].strip()
            user = None if name in _ROOT else (name, y.line)
        elif y.keyword == "WORKDIR":
            here = posixpath.normpath(posixpath.join(here, y.args.strip()))
            if user is not None and not _made_before(before, y, here):
                made.append(RootWorkdir(here, y.line, user[0], user[1]))
    # Quoted paths of the denial (coreutils' relative ones too: "touch: cannot touch 'x':
    # Permission denied"), not a quoted code ("code: 'EACCES'"); and npm's path field.
    paths = [
        m.group(1)
        for line in denied
        for m in _QUOTED.finditer(line)
        if "/" in m.group(1) or line.rstrip().endswith("Permission denied")
    ]
    paths += [m.group(1) for line in output if (m := _NPM_PATH.match(line.strip()))]
    paths = [posixpath.normpath(posixpath.join(here, p)) for p in paths]
    for w in reversed(made):
        if any(p == w.path or p.startswith(w.path.rstrip("/") + "/") for p in paths):
            return w
    # A tool that does not name the path it was denied: the directory the step ran in.
    return next((w for w in reversed(made) if w.path == here), None) if not paths else None


def _made_before(before: Sequence[Instruction], workdir: Instruction, path: str) -> bool:
    """Whether a ``RUN`` before the ``WORKDIR`` already made (and chowned) its directory:
    then the WORKDIR created nothing."""
    return any(
        y.keyword == "RUN" and y.line < workdir.line and path in y.args and "chown" in y.args
        for y in before
    )
