"""Claims an app declares in ``experiment.toml`` and their verdicts on a run's numbers.

An app built to test one piece of advice says so::

    [[claims]]
    text = "chaining RUNs gives fewer layers"
    metric = "layers"          # a deterministic per-variant number (no timings)
    variant = "chained"
    than = "naive"
    expect = "less"            # or "not less"

``than`` may also be a number (``metric = "x_floor"``, ``than = 1.25``), and a yes/no fact needs
no ``than`` (``metric = "has_shell"``, ``expect = "false"``).

Only deterministic metrics are allowed, so a verdict is stable and fit for a regression check;
timing claims need the spread of trials and are judged in :mod:`kit.narration`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.errors import ExperimentConfigError
from kit.units import fmt_bytes

#: Per-variant numbers a claim may compare (deterministic: no timings).
METRICS = (
    "size_bytes",
    "compressed_bytes",
    "layers",
    "wasted_bytes",
    "x_floor",
    "packages",
)
#: Per-variant yes/no facts a claim may assert.
FLAGS = ("has_shell", "has_package_manager", "has_compiler")
EXPECTS = ("less", "not less")
FLAG_EXPECTS = ("true", "false")
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
    than: str | float | None  # another variant, a bound, or None for a yes/no fact
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
        where = f"claim {index}"
        flag = body.get("metric") in FLAGS
        keys = {"text", "metric", "variant", "expect"} | (set() if flag else {"than"})
        if set(body) != keys:
            missing, extra = keys - set(body), set(body) - keys
            raise ExperimentConfigError(
                f"{where}: needs exactly {', '.join(sorted(keys))}"
                + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                + (f"; unknown {', '.join(sorted(extra))}" if extra else ""),
                app=app,
                file=file,
            )
        than = body.get("than")
        claim = DeclaredClaim(
            text=str(body["text"]),
            metric=str(body["metric"]),
            variant=str(body["variant"]),
            than=than
            if isinstance(than, int | float) and not isinstance(than, bool)
            else (None if than is None else str(than)),
            expect=str(body["expect"]),
        )
        if claim.metric not in METRICS + FLAGS:
            raise ExperimentConfigError(
                f"{where}: metric must be one of {', '.join(METRICS + FLAGS)}", app=app, file=file
            )
        allowed = FLAG_EXPECTS if flag else EXPECTS
        if claim.expect not in allowed:
            raise ExperimentConfigError(
                f"{where}: expect must be one of {', '.join(allowed)}", app=app, file=file
            )
        # `than` is another variant, or a number to compare with (e.g. x_floor below 1.25).
        named = [claim.variant] + ([claim.than] if isinstance(claim.than, str) else [])
        for name in named:
            if name not in known:
                raise ExperimentConfigError(f"{where}: no variant {name!r}", app=app, file=file)
        found.append(claim)
    return tuple(found)


def _fmt(metric: str, value: float) -> str:
    if metric in ("layers", "packages"):
        return f"{value:g}"
    return f"{value:.2f}×" if metric == "x_floor" else fmt_bytes(value)


def evaluate(claim: DeclaredClaim, values: Mapping[str, Any]) -> Claim:
    """Judge a declared claim on per-variant values of its metric (None: not measured)."""
    a = values.get(claim.variant)
    if claim.metric in FLAGS:
        if a is None:
            return Claim(claim.text, f"{claim.metric} not measured", "not tested", True)
        holds = bool(a) == (claim.expect == "true")
        measured = f"{claim.variant}: {claim.metric.replace('_', ' ')} = {'yes' if a else 'no'}"
        return Claim(claim.text, measured, "holds" if holds else "does not hold", True)
    if isinstance(claim.than, str):
        b, against = values.get(claim.than), claim.than
    else:
        b, against = claim.than, "the bound"
    if a is None or b is None:
        return Claim(claim.text, f"{claim.metric} not measured", "not tested", True)
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
