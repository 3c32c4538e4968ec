"""Verdicts: a declared claim judged on a run's per-variant values, and rankings that do not flip
on near-equal values. Byte metrics within :data:`TOLERANCE` count as equal: rebuilt files differ
by timestamps and ids, not by what the advice is about."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from kit.model.claims import FLAGS, Claim, DeclaredClaim
from kit.model.failures import Failure
from kit.util.units import fmt_bytes

TOLERANCE = 0.01


def _fmt(metric: str, value: float) -> str:
    if metric in ("layers", "packages"):
        return f"{value:g}"
    return f"{value:.2f}×" if metric == "x_floor" else fmt_bytes(value)


COLUMNS = ["claim", "measured", "verdict", "stable"]


def claim_frame(claims: Iterable[Claim]) -> pd.DataFrame:
    """The claims table: a failed claim's verdict column says why ("failed: …")."""
    rows = [
        {"claim": c.claim, "measured": c.measured, "verdict": c.label, "stable": c.stable}
        for c in claims
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def failed(text: str, failure: Failure) -> Claim:
    """A claim whose measurement errored: never "not tested", which is the parameters' choice."""
    return Claim(text, str(failure), "failed", False)


def _missing(
    claim: DeclaredClaim, names: Iterable[str], why: Mapping[str, Failure], fallback: str
) -> Claim:
    for name in names:
        if name in why:
            return failed(claim.text, why[name])
    return Claim(claim.text, fallback, "not tested", True)


def evaluate(
    claim: DeclaredClaim,
    values: Mapping[str, Any],
    why: Mapping[str, Failure] | None = None,
) -> Claim:
    """Judge a declared claim on per-variant values of its metric (None: not measured);
    ``why``: per variant, the failure that left its value out, if one did."""
    why = why or {}
    a = values.get(claim.variant)
    if claim.metric in FLAGS:
        if a is None:
            return _missing(claim, [claim.variant], why, f"{claim.metric} not measured")
        holds = bool(a) == (claim.expect == "true")
        measured = f"{claim.variant}: {claim.metric.replace('_', ' ')} = {'yes' if a else 'no'}"
        return Claim(claim.text, measured, "holds" if holds else "does not hold", True)
    if isinstance(claim.than, str):
        b, against = values.get(claim.than), claim.than
    else:
        b, against = claim.than, "the bound"
    if a is None or b is None:
        missing = [n for n, v in ((claim.variant, a), (claim.than, b)) if v is None]
        return _missing(claim, [str(n) for n in missing], why, f"{claim.metric} not measured")
    exact = claim.metric in ("layers", "packages") or not isinstance(claim.than, str)
    tolerance = 0 if exact else TOLERANCE * b
    less = a < b - tolerance
    holds = less if claim.expect == "less" else not less
    diff = a - b
    measured = f"{claim.variant} {_fmt(claim.metric, a)} vs {against} {_fmt(claim.metric, b)}" + (
        f" ({'+' if diff >= 0 else '−'}{_fmt(claim.metric, abs(diff))})"
        if against != "the bound"
        else ""
    )
    return Claim(claim.text, measured, "holds" if holds else "does not hold", True)


def ranking(values: Mapping[str, float], *, descending: bool = False) -> str:
    """Names in order of value; values within the claims' byte tolerance of a group's first are
    one ``≈`` group, so near-equal variants cannot swap places from one run to the next."""
    order = sorted(values.items(), key=lambda kv: (-kv[1] if descending else kv[1], kv[0]))
    groups: list[list[tuple[str, float]]] = []
    for name, value in order:
        head = groups[-1][0][1] if groups else math.nan
        finite = math.isfinite(head) and math.isfinite(value)
        near = finite and abs(head - value) <= TOLERANCE * abs(head)
        if head == value or near:
            groups[-1].append((name, value))
        else:
            groups.append([(name, value)])
    joined = [" ≈ ".join(sorted(name for name, _ in group)) for group in groups]
    return (" > " if descending else " < ").join(joined)
