"""What a technique is: a class that, from a parsed Dockerfile and its build context, returns a
candidate Dockerfile a person could have written — or says it does not apply, or that the kit
cannot try it here and why. A new technique is one registered class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar, Literal, TypeVar

from kit.inputs.dockerfile import Dockerfile

Status = Literal["candidate", "n/a", "not tried"]


@dataclass(frozen=True)
class Candidate:
    technique: str
    status: Status
    why: str = ""  # for n/a and not tried: the reason; for a candidate: what it changes
    dockerfile: str | None = None  # the candidate's text
    ignore: str | None = None  # a per-Dockerfile ignore file's text, when the technique writes one
    changes: tuple[str, ...] = ()  # one line per change made


@dataclass(frozen=True)
class Context:
    """What a technique may read besides the Dockerfile: the build context (to see which
    manifests exist) and the light-base table, which the user can extend."""

    directory: Path
    lighter: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


class Technique:
    name: ClassVar[str]
    family: ClassVar[str]
    #: What it does, in one line, as the report shows it.
    does: ClassVar[str]
    #: Where it comes in a combination: a technique that rewrites the whole file (multi-stage)
    #: after the ones that edit single instructions, the base last (it acts on the release).
    rank: ClassVar[int] = 50

    def derive(self, dockerfile: Dockerfile, text: str, context: Context) -> Candidate:
        raise NotImplementedError

    # Helpers so a technique reads as its rule.
    def na(self, why: str) -> Candidate:
        return Candidate(self.name, "n/a", why)

    def not_tried(self, why: str) -> Candidate:
        return Candidate(self.name, "not tried", why)

    def made(self, text: str, changes: list[str], ignore: str | None = None) -> Candidate:
        if not changes:
            return self.na("nothing to change")
        return Candidate(self.name, "candidate", "; ".join(changes), text, ignore, tuple(changes))


_REGISTRY: list[type[Technique]] = []
T = TypeVar("T", bound=type[Technique])


def register(cls: T) -> T:
    """Class decorator: the technique is tried by ``kit advise``, in ``rank`` order (the
    order the combination applies them in)."""
    if any(c.name == cls.name for c in _REGISTRY):
        raise ValueError(f"technique {cls.name!r} registered twice")
    _REGISTRY.append(cls)
    return cls


def techniques() -> tuple[Technique, ...]:
    """One instance of each registered technique, the families' modules imported first."""
    from kit.advise import bases, cleanup, ignore, layers, multistage, needed, order  # noqa: F401

    return tuple(cls() for cls in sorted(_REGISTRY, key=lambda c: c.rank))


def derive_all(dockerfile: Dockerfile, text: str, context: Context) -> tuple[Candidate, ...]:
    return tuple(t.derive(dockerfile, text, context) for t in techniques())
