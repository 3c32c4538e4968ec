"""A Dockerfile, parsed once: its parser directives, global ``ARG``s, stages, instructions (with
line numbers and flags) and the sources its ``COPY``/``ADD`` instructions read.

Everything the kit needs to know about a Dockerfile is read from this model — the bases of a
build under given build args, the cache key's inputs, the stage a lint finding is in, the stages
whose sizes are measured, how many steps a rebuild re-ran, and which instructions need BuildKit
(:mod:`kit.inputs.features`). The lexical rules (and why they are the kit's own) are in
:mod:`kit.inputs.dockerlex`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from kit.inputs.dockerlex import (
    DockerfileSyntaxError,
    Heredoc,
    LogicalLine,
    directives,
    exec_form_words,
    expand,
    logical_lines,
    parse_flags,
    split_words,
    unquote,
)

__all__ = ["Dockerfile", "DockerfileSyntaxError", "Heredoc", "Instruction", "Source", "Stage"]


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper-case: FROM, RUN, COPY …
    line: int  # 1-based first line
    end_line: int  # last line, continuation and heredoc bodies included
    flags: tuple[tuple[str, str | None], ...]  # ("mount", "type=cache,target=/x"), ("link", None)
    args: str  # what follows the flags, continuations joined
    heredocs: tuple[Heredoc, ...] = ()
    stage: int | None = None  # the stage it belongs to; None before the first FROM

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` (``""`` for a bare ``--name``); None when absent."""
        return next(((v or "") for k, v in self.flags if k == name), None)

    @property
    def text(self) -> str:
        """The instruction as one line, as a build log shows it."""
        flags = " ".join(f"--{k}" + ("" if v is None else f"={v}") for k, v in self.flags)
        return " ".join(part for part in (self.keyword, flags, self.args) if part)


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None  # ``AS name``, lower-cased as Docker matches it
    base: str  # the FROM reference as written (build args not yet substituted)
    line: int
    instructions: tuple[Instruction, ...]  # the FROM first


@dataclass(frozen=True)
class Source:
    """One source of a ``COPY``/``ADD``: a path in the build context, another stage, an image,
    a URL or a heredoc."""

    line: int
    keyword: str  # COPY or ADD
    stage: int
    path: str  # as written (wildcards and variables left alone)
    kind: str  # "context" | "stage" | "image" | "url" | "heredoc"
    origin: str | None = None  # --from's value (a stage name or index, or an image reference)


def _stage_of_from(args: str, escape: str) -> tuple[str, str | None]:
    words = split_words(args, escape)
    if not words:
        return "", None
    name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
    return words[0], name


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    sha256: str
    directives: Mapping[str, str]  # lower-cased keys: syntax, escape, check …
    #: ARGs before the first FROM, their defaults as written (None: declared without one).
    global_args: Mapping[str, str | None]
    stages: tuple[Stage, ...]
    instructions: tuple[Instruction, ...]  # every instruction, in order
    escape: str = "\\"

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        data = path.read_bytes()
        return cls.parse(data.decode("utf-8", "replace"), path, hashlib.sha256(data).hexdigest())

    @classmethod
    def parse(cls, text: str, path: Path = Path("Dockerfile"), sha256: str = "") -> Dockerfile:
        """Raises :class:`DockerfileSyntaxError` (with a line) for what Docker cannot read
        either: an unknown escape character, a heredoc never closed."""
        found, _ = directives(text.splitlines())
        escape = found.get("escape", "\\")
        if escape not in ("\\", "`"):
            raise DockerfileSyntaxError(f"invalid escape character {escape!r}", 1)
        global_args: dict[str, str | None] = {}
        instructions: list[Instruction] = []
        stages: list[tuple[int, str | None, str, int]] = []
        for logical in logical_lines(text, escape):
            instruction = cls._instruction(logical, escape, len(stages) - 1 if stages else None)
            if instruction.keyword == "FROM":
                base, name = _stage_of_from(instruction.args, escape)
                stages.append((len(stages), name, base, instruction.line))
                instruction = replace(instruction, stage=len(stages) - 1)
            elif instruction.keyword == "ARG" and not stages:
                for word in split_words(instruction.args, escape, keep_quotes=True):
                    name, eq, default = word.partition("=")
                    global_args[name] = default if eq else None
            instructions.append(instruction)
        built = tuple(
            Stage(i, name, base, line, tuple(x for x in instructions if x.stage == i))
            for i, name, base, line in stages
        )
        return cls(
            path,
            sha256,
            MappingProxyType(found),
            MappingProxyType(global_args),
            built,
            tuple(instructions),
            escape,
        )

    @staticmethod
    def _instruction(logical: LogicalLine, escape: str, stage: int | None) -> Instruction:
        flags, args = parse_flags(logical.rest, escape)
        return Instruction(
            logical.keyword, logical.line, logical.end_line, flags, args, logical.heredocs, stage
        )

    # -- bases ---------------------------------------------------------------------------------

    def arg_values(self, buildargs: Mapping[str, str]) -> dict[str, str | None]:
        """The global ARGs' values: a build arg overrides the default of an ARG it names; a build
        arg no global ARG declares is not seen by FROM (Docker's rule). A default may use the
        ARGs declared before it, with their values."""
        values: dict[str, str | None] = {}
        line = self.instructions[0].line if self.instructions else 1
        for name, default in self.global_args.items():
            if name in buildargs:
                values[name] = buildargs[name]
            else:
                values[name] = None if default is None else self._expand(default, values, line)
        return values

    def resolved(self, buildargs: Mapping[str, str]) -> list[tuple[str | None, str]]:
        """(stage name, FROM reference) per stage, global ARG defaults and build args
        substituted."""
        values = self.arg_values(buildargs)
        return [(s.name, self._expand(s.base, values, s.line)) for s in self.stages]

    def _expand(self, word: str, values: Mapping[str, str | None], line: int) -> str:
        try:
            return expand(word, values, self.escape)
        except DockerfileSyntaxError as exc:
            raise DockerfileSyntaxError(str(exc).removeprefix("line 0: "), line) from None

    def base_images(self, buildargs: Mapping[str, str]) -> list[str]:
        """External images named by FROM; stage names and ``scratch`` are not images to fetch."""
        names: set[str] = set()
        images: list[str] = []
        for name, ref in self.resolved(buildargs):
            if ref.lower() != "scratch" and ref.lower() not in names and ref not in images:
                images.append(ref)
            if name:
                names.add(name)
        return images

    def copied_images(self, buildargs: Mapping[str, str]) -> list[tuple[int, str]]:
        """(line, image) of every ``COPY --from=<image>``: images the build fetches too."""
        values = self.arg_values(buildargs)
        return [
            (s.line, self._expand(str(s.origin), values, s.line))
            for s in self.sources()
            if s.kind == "image"
        ]

    def release_base(self, buildargs: Mapping[str, str]) -> str | None:
        """The image the final stage starts from, following stage aliases (None: no FROM)."""
        found = self.resolved(buildargs)
        if not found:
            return None
        by_name = {name: ref for name, ref in found if name}
        ref = found[-1][1]
        while ref.lower() in by_name and by_name[ref.lower()] != ref:
            ref = by_name.pop(ref.lower())
        return ref

    # -- stages and sources --------------------------------------------------------------------

    def stage_named(self, ref: str, before: int | None = None) -> Stage | None:
        """The stage ``ref`` (a name or an index) names, among those before ``before``."""
        candidates = self.stages[:before]
        if ref.isdigit():
            return candidates[int(ref)] if int(ref) < len(candidates) else None
        return next((s for s in candidates if s.name == ref.lower()), None)

    def sources(self) -> tuple[Source, ...]:
        """Every ``COPY``/``ADD`` source, in order: what a build reads from its context (kind
        ``context``), from another stage, an image, a URL or a heredoc."""
        found: list[Source] = []
        for x in self.instructions:
            if x.keyword not in ("COPY", "ADD") or x.stage is None:
                continue
            origin = x.flag("from")
            words, exec_form = exec_form_words(x.args)
            if not exec_form:
                words = split_words(x.args, self.escape, keep_quotes=True)
            heredocs = {h.name for h in x.heredocs}
            for word in words[:-1]:
                if word.lstrip("0123456789").startswith("<<") and heredocs:
                    found.append(Source(x.line, x.keyword, x.stage, word, "heredoc"))
                    continue
                path = word if exec_form else unquote(word, self.escape)
                if origin is not None:
                    inner = self.stage_named(origin, x.stage)
                    kind = "stage" if inner is not None else "image"
                elif x.keyword == "ADD" and ("://" in path or path.startswith("git@")):
                    kind = "url"
                else:
                    kind = "context"
                found.append(Source(x.line, x.keyword, x.stage, path, kind, origin))
        return tuple(found)

    def context_sources(self) -> tuple[Source, ...]:
        """The sources read from the build context: what a variant's image depends on there."""
        return tuple(s for s in self.sources() if s.kind == "context")

    def needed_stages(self, target: int | None = None) -> tuple[int, ...]:
        """The stages a build of ``target`` (default: the last) needs, as BuildKit builds them:
        the stage, the stages it starts FROM, copies or mounts from, and theirs in turn. The
        classic builder builds every stage up to the target instead."""
        if not self.stages:
            return ()
        todo = [len(self.stages) - 1 if target is None else target]
        seen: set[int] = set()
        while todo:
            index = todo.pop()
            if index in seen:
                continue
            seen.add(index)
            stage = self.stages[index]
            refs = [stage.base]
            for x in stage.instructions:
                refs += [v for k, v in x.flags if k == "from" and v]
                refs += [
                    part.partition("=")[2]
                    for k, v in x.flags
                    if k == "mount" and v
                    for part in v.split(",")
                    if part.startswith("from=")
                ]
            todo += [s.index for r in refs if (s := self.stage_named(r, index)) is not None]
        return tuple(sorted(seen))

    def release_chain(self) -> tuple[int, ...]:
        """The stages whose layers the final image holds: the last stage and, following its
        FROM, the stages it is built on."""
        if not self.stages:
            return ()
        chain, stage = [], self.stages[-1]
        while True:
            chain.append(stage.index)
            parent = self.stage_named(stage.base, stage.index)
            if parent is None:
                return tuple(sorted(chain))
            stage = parent

    def stage_at(self, line: int) -> Stage | None:
        """The stage the instruction on ``line`` belongs to (None: before the first FROM)."""
        x = self.instruction_at(line)
        return None if x is None or x.stage is None else self.stages[x.stage]

    def instruction_at(self, line: int) -> Instruction | None:
        return next((x for x in self.instructions if x.line <= line <= x.end_line), None)
