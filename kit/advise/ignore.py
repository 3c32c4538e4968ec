"""``.dockerignore`` for what ``COPY . .`` brings in and the app does not run: tests, docs,
version control, local environments and caches. It is written as the candidate's own
per-Dockerfile ignore file (``Dockerfile.<name>.dockerignore``, read by BuildKit), so the
user's ``.dockerignore`` is never changed; its lines are kept and extended."""

from __future__ import annotations

import fnmatch

from kit.advise.technique import Candidate, Context, Technique, register
from kit.inputs.dockerfile import Dockerfile
from kit.inputs.dockerlex import exec_form_words, split_words

#: Names people keep beside the sources that a running app does not read.
NOT_RUN = (
    ".git",
    ".github",
    ".gitlab-ci.yml",
    ".vscode",
    ".idea",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    ".venv",
    "venv",
    "__pycache__",
    "*.pyc",
    "tests",
    "test",
    "__tests__",
    "spec",
    "docs",
    "doc",
    "coverage",
    ".coverage",
    "htmlcov",
    "*.md",
    "Dockerfile*",
    ".dockerignore",
    "docker-compose*.yml",
    "compose*.yaml",
    "experiment.toml",
)
_INSTALLS = ("npm ci", "npm install", "npm i ", "yarn install", "pnpm install")


def _whole_context(df: Dockerfile) -> bool:
    return any(s.path in (".", "./") for s in df.context_sources())


def _named(df: Dockerfile) -> set[str]:
    """First path parts the Dockerfile names itself (COPY sources, CMD and ENTRYPOINT words):
    never ignored."""
    names: set[str] = set()
    for s in df.context_sources():
        names.add(s.path.lstrip("./").split("/", 1)[0])
    for x in df.instructions:
        if x.keyword in ("CMD", "ENTRYPOINT"):
            words, exec_form = exec_form_words(x.args)
            for w in words if exec_form else split_words(x.args, df.escape):
                names.add(w.lstrip("./").split("/", 1)[0])
    return names - {""}


@register
class DockerIgnore(Technique):
    # Not "dockerignore": its variant's Dockerfile.dockerignore would read as an ignore file.
    name = "ignore-file"
    family = ".dockerignore"
    does = "keeps tests, docs, VCS and local caches out of COPY . ."
    rank = 60

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        if not _whole_context(dockerfile):
            return self.na("no COPY of the whole context")
        existing_file = context.directory / ".dockerignore"
        existing = existing_file.read_text().splitlines() if existing_file.exists() else []
        patterns = list(NOT_RUN)
        # Installed in the image: a local node_modules would only be overwritten or mixed in.
        if any(
            i in x.args for x in dockerfile.instructions if x.keyword == "RUN" for i in _INSTALLS
        ):
            patterns.append("node_modules")
        named = _named(dockerfile)
        entries = sorted(p.name for p in context.directory.iterdir())
        found = [
            p
            for p in patterns
            if p not in existing and any(fnmatch.fnmatch(e, p) and e not in named for e in entries)
        ]
        if not found:
            return self.na("the context holds nothing the kit knows an app does not run")
        lines = [*existing, "# added by kit advise: not read by the running app", *found]
        return self.made(text, [f"ignore {', '.join(found)}"], ignore="\n".join(lines) + "\n")
