"""Fewer layers: consecutive RUNs chained into one (one layer, and files one deletes that
another made never stored)."""

from __future__ import annotations

from kit.advise.edit import (
    apply,
    commands,
    flags_text,
    remove_instruction,
    render_run,
    replace_instruction,
    shell_runs,
)
from kit.advise.technique import Candidate, Context, Technique, register
from kit.inputs.dockerfile import Dockerfile, Instruction


@register
class ChainRuns(Technique):
    name = "chain-runs"
    family = "fewer layers"
    does = "chains consecutive RUNs into one"
    rank = 40

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        shell = {x.line for x in shell_runs(dockerfile)}
        groups: list[list[Instruction]] = []
        for x in dockerfile.instructions:
            last = groups[-1][-1] if groups else None
            if (
                x.line in shell
                and last is not None
                and last.line in shell
                and last.stage == x.stage
                and flags_text(last) == flags_text(x)
            ):
                groups[-1].append(x)
            else:
                groups.append([x])
        edits, changes = [], []
        for group in (g for g in groups if len(g) > 1):
            parts = [p for x in group for p in commands(x)]
            edits.append(replace_instruction(group[0], render_run(group[0], parts)))
            edits += [remove_instruction(x) for x in group[1:]]
            lines = ", ".join(str(x.line) for x in group)
            changes.append(f"RUNs on lines {lines} chained into one")
        if not changes:
            return self.na("no two RUNs follow each other")
        return self.made(apply(text, edits), changes)
