"""What advise found, as typed values: each technique's candidate, what it measured and
whether it still works; the combination; the diff. No engine here: :mod:`kit.advise.advise`
fills these in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kit.inputs.experiment import Probe

Verdict = Literal["saves", "no effect", "breaks", "not tried", "n/a"]
#: Smaller than this is no saving: two builds of one Dockerfile differ by a few bytes
#: (timestamps in package databases), never by a megabyte.
NOISE_BYTES = 1_000_000


@dataclass(frozen=True)
class Sizes:
    size_bytes: int
    compressed_bytes: int | None
    layers: int | None
    build_cold_s: float | None
    build_warm_s: float | None
    start_median_s: float | None
    #: After a one-line edit of the app's entry point: the seconds, and the steps re-run.
    rebuild_s: float | None = None
    rebuild_steps: int | None = None


@dataclass(frozen=True)
class Tried:
    technique: str
    family: str
    does: str
    verdict: Verdict
    why: str  # the changes (saves, no effect), the evidence (breaks), the reason (not tried, n/a)
    changes: tuple[str, ...] = ()
    sizes: Sizes | None = None
    saved_bytes: int | None = None  # against the original; negative: it grew


@dataclass(frozen=True)
class Advice:
    directory: Path
    dockerfile: Path
    probe: Probe
    probe_source: str
    original: Sizes | None
    tried: tuple[Tried, ...]
    #: The combination written, its techniques in the order applied, and those dropped.
    advised: Tried | None = None
    combined: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    advised_path: Path | None = None
    ignore_path: Path | None = None
    diff: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def verdict(original: Sizes, sizes: Sizes) -> tuple[Verdict, int]:
    """Saves: a megabyte or more, or fewer steps re-run after a source edit (a count, so one
    trial says it; the seconds of one trial would not)."""
    saved = original.size_bytes - sizes.size_bytes
    fewer = (
        original.rebuild_steps is not None
        and sizes.rebuild_steps is not None
        and sizes.rebuild_steps < original.rebuild_steps
    )
    return ("saves" if saved >= NOISE_BYTES or fewer else "no effect"), saved
