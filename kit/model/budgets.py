"""Budgets: the limits an app declares for its images (``[budgets]`` in experiment.toml, app-wide
and per variant), and what each limit means on the ``images`` table.

A limit is read against one column of a variant's row, in the unit its name says (``_mb``:
decimal megabytes, 10⁶ bytes, as the engine reports sizes). Only deterministic columns have
limits: a gate that flips with timing noise would teach people to ignore it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from kit.util.units import MB

#: A budget's value: a number for a limit, a yes/no for a fact, "hold" for the claims.
BudgetValue = float | bool | str
BudgetVerdict = Literal["within", "exceeded", "not measured"]


@dataclass(frozen=True)
class Limit:
    """What one budget key limits: a column of the images row, which way, in which unit."""

    column: str
    bound: Literal["max", "min", "is"]  # "is": a yes/no fact must equal the value
    scale: float  # the value × scale is in the column's own unit (MB → bytes)
    unit: str  # how the value is written ("MB", "×", "" for counts)


LIMITS: Mapping[str, Limit] = {
    "max_size_mb": Limit("size_bytes", "max", MB, "MB"),
    "max_compressed_mb": Limit("compressed_bytes", "max", MB, "MB"),
    "max_layers": Limit("layers", "max", 1, ""),
    "min_efficiency": Limit("efficiency", "min", 1, ""),
    "max_wasted_mb": Limit("wasted_bytes", "max", MB, "MB"),
    "max_x_floor": Limit("x_floor", "max", 1, "×"),
    "max_packages": Limit("packages", "max", 1, ""),
    "max_lint_findings": Limit("lint_findings", "max", 1, ""),
    "has_shell": Limit("has_shell", "is", 1, ""),
    "has_package_manager": Limit("has_package_manager", "is", 1, ""),
    "has_compiler": Limit("has_compiler", "is", 1, ""),
}
#: ``claims = "hold"``: every claim the app declares must hold (app-wide only).
CLAIMS = "claims"
KEYS = (*LIMITS, CLAIMS)


@dataclass(frozen=True)
class Budget:
    """One declared limit; ``variant`` None means app-wide (every variant, unless the variant's
    own ``[variants.X.budgets]`` sets the same key)."""

    key: str
    value: BudgetValue
    variant: str | None = None

    @property
    def text(self) -> str:
        """How the limit reads: ``size ≤ 300 MB``, ``efficiency ≥ 0.95``, ``has shell = no``."""
        if self.key == CLAIMS:
            return "every declared claim holds"
        limit = LIMITS[self.key]
        name = limit.column.removesuffix("_bytes").replace("_", " ")
        if limit.bound == "is":
            return f"{name} = {'yes' if self.value else 'no'}"
        sign = "≤" if limit.bound == "max" else "≥"
        unit = f" {limit.unit}" if limit.unit and limit.unit != "×" else limit.unit
        return f"{name} {sign} {self.value:g}{unit}"


@dataclass(frozen=True)
class BudgetCheck:
    """A budget judged on one variant of one run (or, for ``claims``, on one declared claim)."""

    variant: str
    budget: str  # the key, e.g. max_size_mb
    limit: str  # the limit as it reads
    measured: str  # the measured value as it reads, or why there is none
    verdict: BudgetVerdict
    value: float | None = None  # the measured value in the column's unit (None: not measured)


def effective(budgets: tuple[Budget, ...], variant: str) -> tuple[Budget, ...]:
    """The limits that apply to ``variant``: the app-wide ones, with its own taking precedence."""
    chosen = {b.key: b for b in budgets if b.variant is None and b.key != CLAIMS}
    chosen.update({b.key: b for b in budgets if b.variant == variant})
    return tuple(chosen[k] for k in KEYS if k in chosen)
