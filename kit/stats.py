"""Statistics derived from raw samples: medians, spread, and an honest comparison verdict.

Timings on a shared 2-core machine are noisy, so a difference only counts when a bootstrap
interval of the difference of medians excludes zero; otherwise it is "within noise".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_ROUNDS = 4000
SEED = 20261127  # fixed so that the same samples always give the same verdict


@dataclass(frozen=True)
class Summary:
    n: int
    median: float | None
    iqr: float | None
    low: float | None
    high: float | None


def summarize(samples: Sequence[float]) -> Summary:
    if not samples:
        return Summary(0, None, None, None, None)
    arr = np.asarray(samples, dtype=float)
    q1, q3 = np.percentile(arr, [25, 75])
    return Summary(
        len(arr), float(np.median(arr)), float(q3 - q1), float(arr.min()), float(arr.max())
    )


@dataclass(frozen=True)
class Comparison:
    """``b`` relative to ``a``: difference of medians (b - a) with a 95 % bootstrap interval."""

    difference: float
    ci_low: float
    ci_high: float
    ratio: float

    @property
    def verdict(self) -> str:
        if self.ci_low > 0:
            return "b slower"
        if self.ci_high < 0:
            return "b faster"
        return "within noise"


def compare(a: Sequence[float], b: Sequence[float]) -> Comparison | None:
    """Compare two sets of timings; None when either has fewer than two samples."""
    if len(a) < 2 or len(b) < 2:
        return None
    rng = np.random.default_rng(SEED)
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ma = np.median(rng.choice(xa, size=(BOOTSTRAP_ROUNDS, len(xa))), axis=1)
    mb = np.median(rng.choice(xb, size=(BOOTSTRAP_ROUNDS, len(xb))), axis=1)
    low, high = np.percentile(mb - ma, [2.5, 97.5])
    med_a, med_b = float(np.median(xa)), float(np.median(xb))
    return Comparison(
        med_b - med_a, float(low), float(high), med_b / med_a if med_a else float("nan")
    )
