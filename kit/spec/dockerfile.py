"""A Dockerfile, read once: its global ``ARG`` defaults and its stages (name and ``FROM``
reference), from which the bases of a build are worked out for any build args.

The instructions are recognised line by line, with regular expressions: enough for the
``FROM``/``ARG`` forms the bundled apps use.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

_ARG = re.compile(r"\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?\s*$", re.IGNORECASE)
_FROM = re.compile(r"\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE)
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None  # ``AS name``
    base: str  # the FROM reference as written (build args not yet substituted)


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    sha256: str
    global_args: Mapping[str, str]  # ARG defaults before the first FROM
    stages: tuple[Stage, ...]

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        data = path.read_bytes()
        return cls.parse(data.decode("utf-8", "replace"), path, hashlib.sha256(data).hexdigest())

    @classmethod
    def parse(cls, text: str, path: Path = Path("Dockerfile"), sha256: str = "") -> Dockerfile:
        defaults: dict[str, str] = {}
        stages: list[Stage] = []
        for line in text.splitlines():
            if not stages and (m := _ARG.match(line)):
                defaults[m.group(1)] = (m.group(2) or "").strip("\"'")
            elif m := _FROM.match(line):
                stages.append(Stage(len(stages), m.group(2), m.group(1)))
        return cls(path, sha256, MappingProxyType(defaults), tuple(stages))

    def resolved(self, buildargs: Mapping[str, str]) -> list[tuple[str | None, str]]:
        """(stage name, FROM reference) per stage, global ARG defaults and build args
        substituted."""
        values = {**self.global_args, **buildargs}

        def substitute(ref: str) -> str:
            return _REF.sub(lambda r: values.get(r.group(1) or r.group(2), ""), ref)

        return [(s.name, substitute(s.base)) for s in self.stages]

    def base_images(self, buildargs: Mapping[str, str]) -> list[str]:
        """External images named by FROM; stage names and ``scratch`` are not images to fetch."""
        names: set[str] = set()
        images: list[str] = []
        for name, ref in self.resolved(buildargs):
            if ref.lower() != "scratch" and ref not in names and ref not in images:
                images.append(ref)
            if name:
                names.add(name)
        return images

    def release_base(self, buildargs: Mapping[str, str]) -> str | None:
        """The image the final stage starts from, following stage aliases (None: no FROM)."""
        found = self.resolved(buildargs)
        if not found:
            return None
        by_name = {name: ref for name, ref in found if name}
        ref = found[-1][1]
        while ref in by_name and by_name[ref] != ref:
            ref = by_name.pop(ref)
        return ref
