"""The rows of push and pull trials, and how many of them a variant needs.

A trial's timed quantities settle separately (:mod:`kit.util.settle`): the push of a large
image is the dearest part of a trial, the pull and the start after it the cheapest, and their
spreads differ. Once a variant's pushes have settled while its pulls have not, the trials left
pull the image the registry already holds (the last push's) without pushing it again; once
every quantity has settled, they are not run.
"""

from __future__ import annotations

from collections.abc import Sequence

from kit.model.samples import DistributionSample, Mode
from kit.util.settle import all_settled, settled

#: The timed quantities of a trial, each settling on its own.
TIMED = ("push_s", "pull_s", "deploy_s")


def skipped_sample(variant: str, reason: str, mode: Mode = "cold") -> DistributionSample:
    """The row for a variant that was not measured (its build failed, no sibling shares it…)."""
    return DistributionSample(variant, 0, mode, None, None, None, None, "skipped", reason)


def failed_sample(variant: str, trial: int, mode: Mode, error: str) -> DistributionSample:
    return DistributionSample(variant, trial, mode, None, None, None, None, "failed", error)


def _series(done: Sequence[DistributionSample], field: str) -> list[float]:
    return [v for s in done if (v := getattr(s, field)) is not None]


def trials_settled(done: Sequence[DistributionSample], planned: int) -> bool:
    """Whether the trials not yet run could move no timed median of ``done`` (kit.util.settle)."""
    series = [_series(done, f) for f in TIMED]
    return bool(done) and all_settled([v for v in series if v], planned)


def push_settled(done: Sequence[DistributionSample], planned: int) -> bool:
    """Whether more pushes could not move the median push of ``done``: the trials left, if
    any, pull without pushing."""
    pushes = _series(done, "push_s")
    return bool(pushes) and settled(pushes, planned)
