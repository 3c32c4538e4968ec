"""When more trials cannot change the median: trials placed where the spread needs them.

Of ``planned`` trials, ``k`` are done. Whatever the other ``m = planned − k`` give, the median of
all ``planned`` lies between two bounds read off the ``k`` done: every missing value below the
lowest (each middle order statistic ``j`` then is the done one at ``j − m``) or above the
highest (it is the done one at ``j``). When neither bound is farther from the median so far
than ``tolerance`` × that median, the remaining trials could move the median by no more than
that, so they are not run. (Of 3 planned, 2 done: the median of 3 always lies between the first
two, and the median so far is their mean, so two within 10 % of their mean settle it: the
median reported is within 5 % of the one all three would give.) The raw samples are kept as
they are; only fewer of them are taken."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

#: The median's possible movement, relative to it, below which the remaining trials are skipped.
TOLERANCE = 0.05


def median_bounds(done: Sequence[float], planned: int) -> tuple[float, float] | None:
    """The interval the median of ``planned`` trials must fall in, given the ``done`` ones;
    None while it is unbounded (too few done)."""
    ordered = sorted(done)
    k, missing = len(ordered), planned - len(ordered)
    if k == 0 or missing < 0:
        return None
    middle = [(planned - 1) // 2, planned // 2]  # one position when planned is odd
    if any(j - missing < 0 or j >= k for j in middle):
        return None
    low = sum(ordered[j - missing] for j in middle) / len(middle)
    high = sum(ordered[j] for j in middle) / len(middle)
    return low, high


def settled(done: Sequence[float], planned: int, tolerance: float = TOLERANCE) -> bool:
    """Whether the remaining trials could move the median of ``done`` by at most
    ``tolerance`` of it (all planned done: settled)."""
    if len(done) >= planned:
        return True
    bounds = median_bounds(done, planned)
    if bounds is None:
        return False
    now = statistics.median(done)
    return max(bounds[1] - now, now - bounds[0]) <= tolerance * abs(now)


def all_settled(series: Sequence[Sequence[float]], planned: int) -> bool:
    """:func:`settled` for every timed quantity of the same trials (each a list of values)."""
    return all(settled(values, planned) for values in series)
