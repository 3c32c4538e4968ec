"""Editing a Dockerfile's text by its parsed instructions: an instruction's lines replaced,
removed or preceded by new ones, everything else (comments, blank lines, the directives) left
as the person wrote it, so a candidate differs from the original only where it must."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kit.inputs.dockerfile import Dockerfile, Instruction

_AND = re.compile(r"\s*&&\s*")


@dataclass(frozen=True)
class Edit:
    first: int  # 1-based first line replaced
    last: int  # last line replaced (first - 1: an insertion before ``first``)
    lines: tuple[str, ...]


def replace_instruction(x: Instruction, new: str) -> Edit:
    return Edit(x.line, x.end_line, tuple(new.splitlines()))


def remove_instruction(x: Instruction) -> Edit:
    return Edit(x.line, x.end_line, ())


def insert_before(x: Instruction, new: str) -> Edit:
    return Edit(x.line, x.line - 1, tuple(new.splitlines()))


def apply(text: str, edits: list[Edit]) -> str:
    """``text`` with ``edits`` (which must not overlap) applied, last first so line numbers
    hold."""
    lines = text.splitlines()
    for e in sorted(edits, key=lambda e: (e.first, e.last), reverse=True):
        lines[e.first - 1 : e.last] = list(e.lines)
    return "\n".join(lines) + "\n"


def commands(x: Instruction) -> list[str]:
    """A shell-form RUN's commands split at ``&&`` (continuations already joined)."""
    return [c for c in _AND.split(" ".join(x.args.split())) if c]


def flags_text(x: Instruction) -> str:
    return " ".join(f"--{k}" + ("" if v is None else f"={v}") for k, v in x.flags)


def render_run(x: Instruction, parts: list[str], flags: str | None = None) -> str:
    """A RUN of ``parts`` chained with ``&&``, one per line as people write long RUNs."""
    chosen = flags_text(x) if flags is None else flags
    if flags is None and len(x.flags) > 1:
        # Several mounts read best one to a line, as people write them.
        chosen = " \\\n    ".join(f"--{k}" + ("" if v is None else f"={v}") for k, v in x.flags)
    head = f"RUN {chosen}" if chosen else "RUN"
    if len(parts) == 1:
        return f"{head} {parts[0]}"
    return f"{head} {parts[0]} \\\n    && " + " \\\n    && ".join(parts[1:])


def shell_runs(df: Dockerfile) -> list[Instruction]:
    """RUNs in shell form without heredocs: the ones whose commands the kit can rewrite."""
    return [
        x
        for x in df.instructions
        if x.keyword == "RUN" and not x.heredocs and not x.args.lstrip().startswith("[")
    ]
