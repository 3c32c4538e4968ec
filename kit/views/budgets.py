"""Budgets judged on a run: each declared limit against each variant's row, every declared claim
when ``claims = "hold"``, and optionally each variant's growth since a baseline run.

A limit on a value the run did not measure — a failed variant, a floor that could not be
traced, an image without a package database — is ``not measured``, never passed: a gate that
cannot see a number has not shown it is within its limit. ``kit check`` fails on it too, unless
told to allow it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kit.model.budgets import CLAIMS, LIMITS, Budget, BudgetCheck, BudgetVerdict, effective
from kit.model.results import Results
from kit.model.rows import ImageResult
from kit.util.units import MB
from kit.views.common import Markdown
from kit.views.verdicts import evaluate

GROWTH = "max_growth_pct"
#: Why a column can be empty on an ok row.
_UNMEASURED = {
    "compressed_bytes": "the layer anatomy was not run",
    "efficiency": "the layer anatomy was not run",
    "wasted_bytes": "the layer anatomy was not run",
    "x_floor": "the floor was not measured",
    "packages": "the image has no package database",
    "lint_findings": "hadolint could not lint the Dockerfile",
}


def _reads(budget: Budget, value: float | bool) -> str:
    limit = LIMITS[budget.key]
    if limit.bound == "is":
        return "yes" if value else "no"
    if limit.unit == "MB":
        return f"{float(value) / limit.scale:.1f} MB"
    if limit.unit == "×":
        return f"{float(value):.2f}×"
    return f"{float(value):.3f}" if budget.key == "min_efficiency" else f"{float(value):g}"


def judge(budget: Budget, row: ImageResult) -> BudgetCheck:
    """One limit on one variant's row."""
    limit = LIMITS[budget.key]

    def check(measured: str, verdict: BudgetVerdict, value: float | None = None) -> BudgetCheck:
        return BudgetCheck(row.variant, budget.key, budget.text, measured, verdict, value)

    if row.status != "ok":
        return check(
            f"not measured: the variant failed ({row.error_type}: {row.error})", "not measured"
        )
    value = getattr(row, limit.column)
    if value is None:
        why = (row.floor_note if limit.column == "x_floor" else None) or _UNMEASURED.get(
            limit.column, f"{limit.column} is empty in this run"
        )
        return check(f"not measured: {why}", "not measured")
    if limit.bound == "is":
        ok = bool(value) == bool(budget.value)
    else:
        bound = float(budget.value) * limit.scale
        ok = value <= bound if limit.bound == "max" else value >= bound
    return check(_reads(budget, value), "within" if ok else "exceeded", float(value))


def _claims(results: Results) -> list[BudgetCheck]:
    measured = {r.variant: r for r in results.ok}
    found = []
    for declared in results.claims:
        values = {name: getattr(row, declared.metric, None) for name, row in measured.items()}
        claim = evaluate(declared, values)
        verdicts: dict[str, BudgetVerdict] = {"holds": "within", "does not hold": "exceeded"}
        verdict = verdicts.get(claim.verdict, "not measured")
        found.append(
            BudgetCheck(
                declared.variant,
                CLAIMS,
                f"claim holds: {declared.text}",
                claim.measured if verdict != "not measured" else f"not measured: {claim.measured}",
                verdict,
            )
        )
    return found


def growth(results: Results, baseline: Results, ref: str, max_pct: float) -> list[BudgetCheck]:
    """Each variant's size against the same variant in ``baseline`` (a run at git ``ref``)."""
    before = {r.variant: r for r in baseline.ok}
    found = []
    for row in results.image_rows:
        limit = f"size grew ≤ {max_pct:g} % since {ref}"
        old = before.get(row.variant)
        verdict: BudgetVerdict = "not measured"
        value: float | None = None
        if row.status != "ok" or row.size_bytes is None:
            measured = f"not measured: the variant failed ({row.error})"
        elif old is None or not old.size_bytes:
            measured = f"not measured: run {baseline.run.run_id} at {ref} has no {row.variant}"
        else:
            value = (row.size_bytes - old.size_bytes) / old.size_bytes * 100
            measured = f"{value:+.1f} % ({old.size_bytes / MB:.1f} → {row.size_bytes / MB:.1f} MB)"
            verdict = "within" if value <= max_pct else "exceeded"
        found.append(BudgetCheck(row.variant, GROWTH, limit, measured, verdict, value))
    return found


def checks(results: Results, *, extra: Sequence[BudgetCheck] = ()) -> tuple[BudgetCheck, ...]:
    """Every budget of the run on every variant it applies to, then the claims, then ``extra``
    (e.g. :func:`growth`)."""
    found = [
        judge(budget, row)
        for row in results.image_rows
        for budget in effective(results.budgets, row.variant)
    ]
    if any(b.key == CLAIMS for b in results.budgets):
        found += _claims(results)
    return (*found, *extra)


def table(results: Results, *, extra: Sequence[BudgetCheck] = ()) -> pd.DataFrame:
    """One row per variant and budget: the limit, what was measured, the verdict."""
    return pd.DataFrame(
        [
            {
                "variant": c.variant,
                "budget": c.budget,
                "limit": c.limit,
                "measured": c.measured,
                "verdict": c.verdict,
            }
            for c in checks(results, extra=extra)
        ],
        columns=["variant", "budget", "limit", "measured", "verdict"],
    )


def narrate(results: Results) -> Markdown:
    """One line on the budgets: how many hold, and each one that does not."""
    found = checks(results)
    if not found:
        return Markdown("No budgets are declared (`[budgets]` in the app's `experiment.toml`).")
    bad = [c for c in found if c.verdict != "within"]
    head = f"**{len(found) - len(bad)} of {len(found)} budget checks hold.**"
    lines = [f"- **{c.variant}** {c.limit}: {c.verdict} — {c.measured}" for c in bad]
    return Markdown("\n".join([head, *lines]))


def facts(results: Results) -> str:
    """The verdicts, one per line: stable when the budgets are on sizes and counts."""
    return "\n".join(f"budget {c.variant}: {c.limit}: {c.verdict}" for c in checks(results))
