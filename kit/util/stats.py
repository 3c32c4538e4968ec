"""Statistics derived from raw samples: medians, spread, and an honest comparison verdict.

Timings on a shared 2-core machine are noisy, so a difference only counts when a bootstrap
interval of the difference of medians excludes zero; otherwise it is "within noise". Likewise a
trend (push time against image size) counts only when the fitted slope's 95 % interval excludes
zero, never from the sign of a line through two points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

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


#: Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (t₀.₉₇₅). Tabulated
#: rather than taken from scipy, which the kit does not depend on for one function.
_T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip
_Z975 = 1.959964


def t_quantile_975(df: int) -> float:
    """t₀.₉₇₅ for ``df`` degrees of freedom: the table up to 30, then the Cornish–Fisher
    expansion around the normal quantile (within 1e-4 of the exact value from 30 on)."""
    if df < 1:
        raise ValueError(f"{df} degrees of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class LineFit:
    """Least-squares line ``y = slope·x + intercept`` with the slope's standard error.

    ``r2`` is NaN when every y is equal (nothing to explain); ``slope_se`` is infinite with two
    points, where no residual is left to estimate the scatter."""

    slope: float
    intercept: float
    r2: float
    slope_se: float
    n: int

    @property
    def slope_ci(self) -> tuple[float, float]:
        """The slope's 95 % interval, from the t distribution with n − 2 degrees of freedom."""
        if self.n < 3 or math.isinf(self.slope_se):
            return (-math.inf, math.inf)
        half = t_quantile_975(self.n - 2) * self.slope_se
        return (self.slope - half, self.slope + half)


def fit_line(x: Sequence[float], y: Sequence[float]) -> LineFit:
    """Ordinary least squares; needs at least two points and two distinct x values."""
    if len(x) != len(y):
        raise ValueError(f"{len(x)} x values for {len(y)} y values")
    if len(x) < 2:
        raise ValueError("a line needs at least two points")
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    dx, dy = xs - xs.mean(), ys - ys.mean()
    sxx = float(dx @ dx)
    if sxx == 0:
        raise ValueError("every x is the same: no slope to fit")
    slope = float(dx @ dy) / sxx
    intercept = float(ys.mean()) - slope * float(xs.mean())
    residual = ys - (slope * xs + intercept)
    ss_res, ss_tot = float(residual @ residual), float(dy @ dy)
    n = len(xs)
    se = math.sqrt(ss_res / (n - 2) / sxx) if n > 2 else math.inf
    return LineFit(slope, intercept, 1 - ss_res / ss_tot if ss_tot else math.nan, se, n)


def trend_verdict(fit: LineFit) -> Literal["holds", "contradicted", "not shown (within noise)"]:
    """Whether y rises with x, judged on the slope's 95 % interval rather than its sign."""
    low, high = fit.slope_ci
    if low > 0:
        return "holds"
    if high < 0:
        return "contradicted"
    return "not shown (within noise)"
