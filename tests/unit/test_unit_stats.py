"""kit.util.stats: summaries and the bootstrap comparison verdict, on small exact inputs."""

from __future__ import annotations

import math

import pytest

from kit.util.stats import Comparison, Summary, compare, summarize


def test_summarize_even_count() -> None:
    # numpy's linear percentiles: q1 = 1.75, q3 = 3.25 for 1..4.
    assert summarize([4.0, 1.0, 3.0, 2.0]) == Summary(n=4, median=2.5, iqr=1.5, low=1.0, high=4.0)


def test_summarize_odd_count() -> None:
    # 1, 2, 3, 10, 20: q1 = 2, q3 = 10.
    assert summarize([10, 2, 20, 1, 3]) == Summary(n=5, median=3.0, iqr=8.0, low=1.0, high=20.0)


def test_summarize_single_and_empty() -> None:
    assert summarize([0.25]) == Summary(n=1, median=0.25, iqr=0.0, low=0.25, high=0.25)
    assert summarize([]) == Summary(n=0, median=None, iqr=None, low=None, high=None)


def test_summarize_returns_plain_floats() -> None:
    summary = summarize([1, 2])
    assert type(summary.median) is float
    assert type(summary.iqr) is float


A = [1.00, 1.02, 0.98, 1.01, 0.99, 1.00]
B = [2.00, 2.03, 1.97, 2.01, 1.99, 2.00]


def test_clearly_slower() -> None:
    result = compare(A, B)
    assert result is not None
    assert result.verdict == "b slower"
    assert result.difference == pytest.approx(1.0)
    assert result.ratio == pytest.approx(2.0)
    assert 0.9 < result.ci_low <= result.difference <= result.ci_high < 1.1


def test_clearly_faster() -> None:
    result = compare(B, A)
    assert result is not None
    assert result.verdict == "b faster"
    assert result.difference == pytest.approx(-1.0)
    assert result.ratio == pytest.approx(0.5)
    assert result.ci_high < 0


def test_identical_samples_are_within_noise() -> None:
    result = compare(A, list(A))
    assert result is not None
    assert result.verdict == "within noise"
    assert result.difference == 0.0
    assert result.ratio == 1.0
    assert result.ci_low <= 0 <= result.ci_high


def test_constant_samples_give_a_zero_interval() -> None:
    assert compare([1.0, 1.0, 1.0], [1.0, 1.0]) == Comparison(0.0, 0.0, 0.0, 1.0)


def test_overlapping_samples_are_within_noise() -> None:
    result = compare([1.0, 3.0, 2.0, 5.0, 1.5], [1.2, 2.9, 2.2, 4.0, 1.1])
    assert result is not None
    assert result.verdict == "within noise"


@pytest.mark.parametrize(("a", "b"), [([1.0], [1.0, 2.0]), ([1.0, 2.0], [3.0]), ([], [])])
def test_fewer_than_two_samples_is_none(a: list[float], b: list[float]) -> None:
    assert compare(a, b) is None


def test_zero_median_gives_nan_ratio() -> None:
    result = compare([0.0, 0.0], [1.0, 1.0])
    assert result is not None
    assert math.isnan(result.ratio)
    assert result.verdict == "b slower"


def test_deterministic_interval() -> None:
    a = [0.31, 0.29, 0.35, 0.30, 0.33, 0.28, 0.40]
    b = [0.36, 0.30, 0.41, 0.33, 0.38, 0.35, 0.45]
    first, second = compare(a, b), compare(a, b)
    assert first is not None
    assert first == second
    assert (first.ci_low, first.ci_high) == (second.ci_low, second.ci_high)  # type: ignore[union-attr]
    assert first.ci_low < first.ci_high


# Intervals known by hand: with ``a`` constant, the bootstrap difference is b's resampled median
# minus a's value, and b's resampled median has an exact distribution on few atoms. Each end of the
# 95 % interval falls on an atom holding far more than 2.5 % of the mass, so 4000 rounds land on it
# whatever the seed (the expected counts are hundreds; a miss needs a 6-sigma draw).
@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        # median of 3 draws from {0, 1, 2}: P(0) = P(2) = 7/27 ≈ 26 % each → −1 … +1.
        ([1.0, 1.0, 1.0], [0.0, 1.0, 2.0], -1.0, 1.0),
        # median of 4 draws from {2, 2, 3, 3}: P(2) = P(3) = 5/16 ≈ 31 % each → +1 … +2.
        ([1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0], 1.0, 2.0),
        # median of 5 draws from {.58, .60, .60, .60, .62}: P(.58) = P(.62) = 0.0579 → +.28 … +.32.
        ([0.30] * 5, [0.60, 0.60, 0.60, 0.62, 0.58], 0.28, 0.32),
    ],
)
def test_bootstrap_interval_ends_known_by_hand(
    a: list[float], b: list[float], low: float, high: float
) -> None:
    result = compare(a, b)
    assert result is not None
    assert result.ci_low == pytest.approx(low, abs=1e-12)
    assert result.ci_high == pytest.approx(high, abs=1e-12)


def test_medians_and_ratio_known_by_hand() -> None:
    # medians 3 (of 1, 3, 8) and 6.5 (of 2, 6, 7, 9: (6 + 7) / 2): difference 3.5, ratio 6.5 / 3.
    result = compare([8.0, 1.0, 3.0], [9.0, 2.0, 7.0, 6.0])
    assert result is not None
    assert result.difference == pytest.approx(3.5)
    assert result.ratio == pytest.approx(6.5 / 3)


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (0.1, 0.2, "b slower"),
        (-0.2, -0.1, "b faster"),
        (-0.1, 0.1, "within noise"),
        (0.0, 0.1, "within noise"),
        (-0.1, 0.0, "within noise"),
    ],
)
def test_verdict_boundaries(low: float, high: float, verdict: str) -> None:
    assert Comparison(0.0, low, high, 1.0).verdict == verdict
