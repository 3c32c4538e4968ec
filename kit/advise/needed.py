"""Only what is needed: no recommended packages, no dev dependencies, no pip cache."""

from __future__ import annotations

import re

from kit.advise.edit import apply, commands, render_run, replace_instruction, shell_runs
from kit.advise.shellcmd import APT_INSTALL, NPM_INSTALL, PIP_INSTALL, cached
from kit.advise.technique import Candidate, Context, Technique, register
from kit.inputs.dockerfile import Dockerfile

_OMITS = ("--omit=dev", "--production", "--only=prod", "--only=production")


@register
class OnlyNeeded(Technique):
    name = "only-needed"
    family = "only what is needed"
    does = "installs without recommended packages, dev dependencies or the pip cache"
    rank = 10

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        locked = any(
            (context.directory / n).exists() for n in ("package-lock.json", "npm-shrinkwrap.json")
        )
        edits, changes = [], []
        for x in shell_runs(dockerfile):
            parts = commands(x)
            new = []
            for part in parts:
                m = APT_INSTALL.match(part)
                if m and "--no-install-recommends" not in part:
                    part = part[: m.end()] + " --no-install-recommends" + part[m.end() :]
                    changes.append(f"line {x.line}: apt-get install --no-install-recommends")
                elif NPM_INSTALL.match(part) and not any(o in part for o in _OMITS):
                    part = (
                        "npm ci --omit=dev"
                        if locked
                        else re.sub(r"^npm\s+(?:install|i|ci)", "npm install --omit=dev", part)
                    )
                    changes.append(f"line {x.line}: {part} (no dev dependencies)")
                elif (
                    (m := PIP_INSTALL.match(part))
                    and "--no-cache-dir" not in part
                    # With a cache mount the cache never reaches the image, and is wanted.
                    and not cached(x, "/root/.cache/pip")
                ):
                    part = part[: m.end()] + " --no-cache-dir" + part[m.end() :]
                    changes.append(f"line {x.line}: pip install --no-cache-dir")
                new.append(part)
            if new != parts:
                edits.append(replace_instruction(x, render_run(x, new)))
        if not changes:
            return self.na("every install already takes only what is needed")
        return self.made(apply(text, edits), changes)
