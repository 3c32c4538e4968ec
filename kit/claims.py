"""Claims an app declares in ``experiment.toml`` and their verdicts on a run's numbers.

An app built to test one piece of advice says so::

    [[claims]]
    text = "chaining RUNs gives fewer layers"
    metric = "layers"          # a deterministic per-variant number (no timings)
    variant = "chained"
    than = "naive"
    expect = "less"            # or "not less"

Only deterministic metrics are allowed, so a verdict is stable and fit for a regression check;
timing claims need the spread of trials and are judged in :mod:`kit.narration`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.errors import ExperimentConfigError
from kit.units import fmt_bytes

METRICS = ("size_bytes", "compressed_bytes", "layers", "wasted_bytes")
EXPECTS = ("less", "not less")
#: Byte metrics differing by less than this fraction count as equal: rebuilt files differ by
#: timestamps and ids, not by what the advice is about.
TOLERANCE = 0.01


@dataclass(frozen=True)
class Claim:
    claim: str
    measured: str
    verdict: str
    stable: bool


@dataclass(frozen=True)
class DeclaredClaim:
    text: str
    metric: str
    variant: str
    than: str
    expect: str


def parse_claims(
    raw: Any, variants: Iterable[str], *, app: str, file: Path
) -> tuple[DeclaredClaim, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise ExperimentConfigError(
            "claims must be an array of tables ([[claims]])", app=app, file=file
        )
    known = set(variants)
    found = []
    for index, body in enumerate(raw, 1):
        keys = {"text", "metric", "variant", "than", "expect"}
        if set(body) != keys:
            missing, extra = keys - set(body), set(body) - keys
            raise ExperimentConfigError(
                f"claim {index}: needs exactly {', '.join(sorted(keys))}"
                + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                + (f"; unknown {', '.join(sorted(extra))}" if extra else ""),
                app=app,
                file=file,
            )
        claim = DeclaredClaim(**{k: str(body[k]) for k in keys})
        if claim.metric not in METRICS:
            raise ExperimentConfigError(
                f"claim {index}: metric must be one of {', '.join(METRICS)}", app=app, file=file
            )
        if claim.expect not in EXPECTS:
            raise ExperimentConfigError(
                f"claim {index}: expect must be one of {', '.join(EXPECTS)}", app=app, file=file
            )
        for name in (claim.variant, claim.than):
            if name not in known:
                raise ExperimentConfigError(
                    f"claim {index}: no variant {name!r}", app=app, file=file
                )
        found.append(claim)
    return tuple(found)


def _fmt(metric: str, value: float) -> str:
    return f"{value:g}" if metric == "layers" else fmt_bytes(value)


def evaluate(claim: DeclaredClaim, values: Mapping[str, float | None]) -> Claim:
    """Judge a declared claim on per-variant values of its metric (None: not measured)."""
    a, b = values.get(claim.variant), values.get(claim.than)
    if a is None or b is None:
        return Claim(
            claim.text, f"{claim.metric} not measured for both variants", "not tested", True
        )
    tolerance = 0 if claim.metric == "layers" else TOLERANCE * b
    less = a < b - tolerance
    holds = less if claim.expect == "less" else not less
    diff = a - b
    measured = (
        f"{claim.variant} {_fmt(claim.metric, a)} vs {claim.than} {_fmt(claim.metric, b)} "
        f"({'+' if diff >= 0 else '−'}{_fmt(claim.metric, abs(diff))})"
    )
    return Claim(claim.text, measured, "holds" if holds else "does not hold", True)
