"""Claims: what an app declares it should show (``[[claims]]`` in experiment.toml), and the
verdicts a run's numbers give them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Per-variant numbers a claim may compare (deterministic: no timings).
METRICS = (
    "size_bytes",
    "compressed_bytes",
    "layers",
    "wasted_bytes",
    "x_floor",
    "packages",
)
#: Per-variant yes/no facts a claim may assert.
FLAGS = ("has_shell", "has_package_manager", "has_compiler")
EXPECTS = ("less", "not less")
FLAG_EXPECTS = ("true", "false")

Verdict = Literal[
    "holds",
    "does not hold",
    "not tested",
    "not measured",
    "not shown (within noise)",
    "contradicted",
    "failed",  # the measurement behind it errored: ``measured`` says why
]


@dataclass(frozen=True)
class DeclaredClaim:
    text: str
    metric: str
    variant: str
    than: str | float | None  # another variant, a bound, or None for a yes/no fact
    expect: str


@dataclass(frozen=True)
class Claim:
    """A claim with what was measured and its verdict; ``stable`` verdicts do not depend on
    timing noise (sizes, counts), so a regression check may compare them."""

    claim: str
    measured: str
    verdict: Verdict
    stable: bool

    @property
    def label(self) -> str:
        """The verdict as shown: a failed one carries its cause ("failed: …")."""
        return f"failed: {self.measured}" if self.verdict == "failed" else self.verdict
