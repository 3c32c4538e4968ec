"""Multi-stage: the original stage becomes the build stage (its toolchain and package caches
stay there); a release stage on the slimmer tag copies only the app and its installed
dependencies, and keeps the original's runtime settings (ENV, WORKDIR, USER, EXPOSE, CMD …)."""

from __future__ import annotations

import re

from kit.advise.bases import lighter
from kit.advise.edit import apply, replace_instruction
from kit.advise.technique import Candidate, Context, Technique, register
from kit.inputs.dockerfile import Dockerfile
from kit.inputs.dockerlex import split_words

#: What the release stage repeats of the original: the settings the process runs with.
_KEPT = ("ENV", "ARG", "LABEL", "EXPOSE", "USER", "CMD", "ENTRYPOINT", "STOPSIGNAL", "HEALTHCHECK")
_USERADD = re.compile(r"\b(?:useradd|adduser|groupadd|addgroup)\b")
_PYTHON = re.compile(r"python:(\d+\.\d+)")


def _venvs(df: Dockerfile) -> list[str]:
    """Virtual environments the stage makes (``python -m venv X``, ``VIRTUAL_ENV=X``)."""
    found = []
    for x in df.instructions:
        if x.keyword == "RUN":
            found += re.findall(r"-m\s+venv\s+(\S+)", x.args)
        if x.keyword == "ENV":
            found += re.findall(r"VIRTUAL_ENV[= ]\s*(\S+)", x.args)
    return list(dict.fromkeys(p.strip("\"'") for p in found if p.startswith(("/", '"/'))))


@register
class MultiStage(Technique):
    name = "multi-stage"
    family = "multi-stage"
    does = "builds in the full image, releases the app and its dependencies on the slim one"
    rank = 70

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        if len(dockerfile.stages) != 1:
            return self.na("already multi-stage" if dockerfile.stages else "no FROM")
        stage = dockerfile.stages[0]
        resolved = dockerfile.resolved({})[0][1]
        release = lighter(stage.base, dict(context.lighter)) or lighter(
            resolved, dict(context.lighter)
        )
        if release is None:
            return self.na(f"no slimmer image known to release {stage.base} on")
        workdirs = [x.args.strip() for x in stage.instructions if x.keyword == "WORKDIR"]
        if not workdirs or not workdirs[-1].startswith("/"):
            return self.na("no absolute WORKDIR: the kit cannot tell where the app is")
        workdir = workdirs[-1]
        users = [x.args.strip() for x in stage.instructions if x.keyword == "USER"]
        chown = f" --chown={users[-1]}" if users else ""
        copies = [f"COPY --from=build{chown} {workdir} {workdir}"]
        if "node" in resolved:
            pass  # node_modules lives in the app's directory: copied with it
        elif (m := _PYTHON.search(resolved)) is not None:
            venvs = _venvs(dockerfile)
            if venvs:
                copies = [f"COPY --from=build {v} {v}" for v in venvs] + copies
            else:
                # pip's installs as root: site-packages (the official images' python) or
                # dist-packages (Debian's) under this folder, their scripts in /usr/local/bin.
                lib = f"/usr/local/lib/python{m.group(1)}"
                copies = [
                    f"COPY --from=build {lib} {lib}",
                    "COPY --from=build /usr/local/bin /usr/local/bin",
                    *copies,
                ]
        else:
            return self.na(
                f"the kit knows where node and python keep dependencies, not {resolved}'s"
            )
        first = stage.instructions[0]
        words = split_words(first.args, dockerfile.escape)
        build_from = " ".join([*words[:1], "AS", "build"]) if len(words) < 3 else first.args
        name = stage.name or "build"
        copies = [c.replace("--from=build", f"--from={name}") for c in copies]
        release_lines = [f"FROM {release}"]
        for x in stage.instructions[1:]:
            if x.keyword in _KEPT and x.keyword != "USER":
                release_lines.append(x.text)
            elif x.keyword == "RUN" and _USERADD.search(x.args):
                release_lines.append(x.text)  # the user the process runs as must exist
            elif x.keyword == "WORKDIR" and x.args.strip() == workdir:
                release_lines += [x.text, *copies]
                copies = []
        if users:
            # USER last but before the command, as the original ran it.
            at = next(
                (i for i, s in enumerate(release_lines) if s.startswith(("CMD", "ENTRYPOINT"))),
                len(release_lines),
            )
            release_lines.insert(at, f"USER {users[-1]}")
        edits = [replace_instruction(first, f"FROM {build_from}")]
        new = apply(text, edits).rstrip("\n") + "\n\n# release: the app and its dependencies only\n"
        new += "\n".join(release_lines) + "\n"
        return self.made(new, [f"build stage {name} on {stage.base}; release stage on {release}"])
