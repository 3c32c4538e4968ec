"""kit.util.settle: the median's bounds worked out by hand, and when trials stop."""

from __future__ import annotations

import itertools
import statistics

import pytest

from kit.measure.transfer.trials import push_settled, trials_settled
from kit.model.samples import DistributionSample
from kit.util.settle import all_settled, median_bounds, settled


def test_bounds_by_hand() -> None:
    # 3 planned, 2 done: the third, wherever it falls, leaves the median between the two.
    assert median_bounds([10.0, 10.4], 3) == (10.0, 10.4)
    # 5 planned, 3 done (8, 9, 12): two below give 8, two above give 12.
    assert median_bounds([12.0, 8.0, 9.0], 5) == (8.0, 12.0)
    # 4 planned, 3 done (1, 2, 4): the mean of the middle two lies in [(1+2)/2, (2+4)/2].
    assert median_bounds([4.0, 1.0, 2.0], 4) == (1.5, 3.0)
    # Too few done to bound it.
    assert median_bounds([10.0], 3) is None
    assert median_bounds([1.0, 2.0], 5) is None
    assert median_bounds([], 3) is None


@pytest.mark.parametrize("planned", [3, 4, 5])
def test_the_final_median_always_falls_within_the_bounds(planned: int) -> None:
    """Against brute force: every way the missing trials could come out."""
    grid = [0.5, 1.0, 1.5, 2.0, 3.0]
    for done_n in range(1, planned):
        for done in itertools.product(grid, repeat=done_n):
            bounds = median_bounds(done, planned)
            if bounds is None:
                continue
            for rest in itertools.product([0.0, *grid, 9.0], repeat=planned - done_n):
                final = statistics.median([*done, *rest])
                assert bounds[0] <= final <= bounds[1], (done, rest)


def test_two_that_agree_settle_three_and_two_that_differ_do_not() -> None:
    assert settled([20.0, 20.9], 3)  # the third moves the median 20.45 by ≤ 0.45
    # 20 and 22: the median of 3 lies in [20, 22], at most 1.0 from 21, and 1.0 ≤ 5 % of 21.
    assert settled([20.0, 22.0], 3)
    assert not settled([20.0, 23.0], 3)  # 1.5 > 5 % of 21.5
    assert not settled([20.0], 3)
    assert settled([20.0, 25.0, 30.0], 3)  # all done
    assert not settled([0.30, 0.34], 3)  # a short push's noise keeps its third trial


@pytest.mark.parametrize("planned", [3, 4, 5])
def test_a_settled_median_is_within_the_tolerance_of_every_final_one(planned: int) -> None:
    """Against brute force: when the trials left are skipped, whatever they would have given,
    the median of all planned trials is within 5 % of the median reported."""
    grid = [1.0, 1.04, 1.08, 1.12, 1.5]
    for done_n in range(1, planned):
        for done in itertools.product(grid, repeat=done_n):
            if not settled(done, planned):
                continue
            now = statistics.median(done)
            for rest in itertools.product([0.0, *grid, 9.0], repeat=planned - done_n):
                final = statistics.median([*done, *rest])
                assert abs(final - now) <= 0.05 * now + 1e-12, (done, rest)


def test_every_quantity_must_settle() -> None:
    assert all_settled([[20.0, 20.5], [9.0, 9.1]], 3)
    assert not all_settled([[20.0, 20.5], [9.0, 12.0]], 3)


def test_trials_settle_on_every_timed_field_of_the_rows() -> None:
    def row(trial: int, push: float, pull: float, deploy: float | None) -> DistributionSample:
        return DistributionSample(
            "full", trial, "cold", push, pull, 100, 90, "ok", None, deploy_s=deploy
        )

    agree = [row(0, 20.0, 9.0, None), row(1, 20.5, 9.1, None)]
    assert trials_settled(agree, 3)
    assert not trials_settled(agree[:1], 3)
    assert not trials_settled([], 3)
    # One field that still spreads keeps the third trial.
    assert not trials_settled([row(0, 20.0, 9.0, 10.0), row(1, 20.5, 9.1, 14.0)], 3)


def test_settled_pushes_leave_the_pulls_to_the_trials_left() -> None:
    def row(trial: int, push: float | None, pull: float) -> DistributionSample:
        return DistributionSample("full", trial, "cold", push, pull, None, 90, "ok", None)

    # 59.8 and 56.1 s pushes (a 1.3 GB image, measured 2026-12-08): within 5 % of their mean.
    spread_pulls = [row(0, 59.8, 0.035), row(1, 56.1, 0.042)]
    assert push_settled(spread_pulls, 3)
    assert not trials_settled(spread_pulls, 3)  # the pulls still spread: a pull-only trial
    assert not push_settled([row(0, 14.9, 0.04), row(1, 13.1, 0.04)], 3)
    assert not push_settled([], 3)
    # A pull-only trial adds a pull and no push: the pushes stay settled, and all settle.
    assert trials_settled([*spread_pulls, row(2, None, 0.04)], 3)
