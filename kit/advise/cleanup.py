"""Cleanup in the same RUN: files a RUN leaves only waste space when a later layer deletes
them, so the package lists and caches go in the RUN that made them."""

from __future__ import annotations

from kit.advise.edit import (
    Edit,
    apply,
    commands,
    flags_text,
    remove_instruction,
    render_run,
    replace_instruction,
    shell_runs,
)
from kit.advise.shellcmd import APT_INSTALL, APT_UPDATE, CLEANUP, NPM_INSTALL, PIP_INSTALL, cached
from kit.advise.technique import Candidate, Context, Technique, register
from kit.inputs.dockerfile import Dockerfile


@register
class SameRunCleanup(Technique):
    name = "same-run-cleanup"
    family = "cleanup in the same RUN"
    does = "removes apt lists and npm/pip caches in the RUN that made them"
    rank = 20

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        edits, changes = [], []
        for x in shell_runs(dockerfile):
            parts = commands(x)
            joined = " && ".join(parts)
            add = []
            # The lists are made by the update: removed anywhere but its own RUN, they stay in
            # its layer; removed before an install of a RUN without the update, it fails.
            if (
                any(APT_UPDATE.match(p) for p in parts)
                and any(APT_INSTALL.match(p) for p in parts)
                and "/var/lib/apt/lists" not in joined
                and not cached(x, "/var/lib/apt/lists")
            ):
                add.append("rm -rf /var/lib/apt/lists/*")
            if (
                any(NPM_INSTALL.match(p) for p in parts)
                and "npm cache clean" not in joined
                and not cached(x, "/root/.npm")
            ):
                add.append("npm cache clean --force")
            if (
                any(PIP_INSTALL.match(p) and "--no-cache-dir" not in p for p in parts)
                and ".cache/pip" not in joined
                and not cached(x, "/root/.cache/pip")
            ):
                add.append("rm -rf ~/.cache/pip")
            if add:
                edits.append(replace_instruction(x, render_run(x, parts + add)))
                changes.append(f"line {x.line}: " + ", ".join(add) + " in the same RUN")
        if not changes:
            return self.na("no RUN leaves apt lists or npm/pip caches behind")
        return self.made(apply(text, edits), changes)


@register
class FoldCleanup(Technique):
    name = "fold-cleanup"
    family = "cleanup in the same RUN"
    does = "folds a later cleanup RUN into the RUN that made the files"
    rank = 25

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        runs = {x.line: x for x in shell_runs(dockerfile)}
        edits: list[Edit] = []
        changes: list[str] = []
        order = list(dockerfile.instructions)
        for i, x in enumerate(order[1:], 1):
            before = order[i - 1]
            parts = commands(x) if x.line in runs else []
            if (
                parts
                and all(CLEANUP.match(p) for p in parts)
                and before.line in runs
                and before.stage == x.stage
                and flags_text(before) == flags_text(x)
                and not any(e.first == before.line for e in edits)
            ):
                merged = commands(before) + parts
                edits += [
                    replace_instruction(before, render_run(before, merged)),
                    remove_instruction(x),
                ]
                changes.append(f"line {x.line}: cleanup folded into the RUN on line {before.line}")
        if not changes:
            return self.na("no cleanup RUN follows the RUN that made its files")
        return self.made(apply(text, edits), changes)
