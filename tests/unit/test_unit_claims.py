"""kit.inputs.claims: declared claims parsed from experiment.toml tables and judged on values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kit.errors import ExperimentConfigError
from kit.inputs.claims import parse_claims
from kit.model.claims import DeclaredClaim
from kit.views.verdicts import evaluate

TOML = Path("experiment.toml")
VARIANTS = ("naive", "chained", "closure")


def parse(*bodies: dict[str, Any]) -> tuple[DeclaredClaim, ...]:
    return parse_claims(list(bodies), VARIANTS, app="app", file=TOML)


def claim(**fields: Any) -> DeclaredClaim:
    base: dict[str, Any] = {"text": "t", "metric": "layers", "variant": "chained", "expect": "less"}
    body = {k: v for k, v in {**base, **fields}.items() if v is not None}
    return parse(body)[0]


def test_variant_against_variant() -> None:
    c = claim(than="naive")
    assert evaluate(c, {"chained": 3, "naive": 5}).verdict == "holds"
    assert evaluate(c, {"chained": 5, "naive": 5}).verdict == "does not hold"
    assert evaluate(c, {"chained": 3}).verdict == "not tested"


def test_byte_metrics_treat_one_percent_as_equal() -> None:
    c = claim(metric="size_bytes", than="naive", expect="not less")
    assert evaluate(c, {"chained": 995, "naive": 1000}).verdict == "holds"
    assert evaluate(c, {"chained": 980, "naive": 1000}).verdict == "does not hold"


def test_a_number_bound_is_exact() -> None:
    c = claim(metric="x_floor", variant="closure", than=1.25)
    assert c.than == 1.25
    assert evaluate(c, {"closure": 1.24}).verdict == "holds"
    assert evaluate(c, {"closure": 1.25}).verdict == "does not hold"
    assert "1.24×" in evaluate(c, {"closure": 1.24}).measured


def test_a_flag_needs_no_than() -> None:
    c = claim(metric="has_shell", variant="closure", expect="false", than=None)
    assert evaluate(c, {"closure": False}).verdict == "holds"
    assert evaluate(c, {"closure": True}).verdict == "does not hold"
    assert evaluate(c, {}).verdict == "not tested"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"than": "nope"}, "no variant 'nope'"),
        ({"than": "naive", "metric": "start_median_s"}, "metric must be one of"),
        ({"than": "naive", "expect": "more"}, "expect must be one of"),
        ({"metric": "has_shell", "expect": "less"}, "expect must be one of"),
        ({}, "missing than"),
        ({"metric": "has_shell", "expect": "false", "than": "naive"}, "unknown than"),
    ],
)
def test_bad_claims_name_the_problem(fields: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"text": "t", "metric": "layers", "variant": "chained", "expect": "less"}
    body = {k: v for k, v in {**base, **fields}.items() if v is not None}
    with pytest.raises(ExperimentConfigError, match=message):
        parse(body)


def test_claims_must_be_an_array_of_tables() -> None:
    with pytest.raises(ExperimentConfigError, match=r"\[\[claims\]\]"):
        parse_claims({"text": "x"}, VARIANTS, app="app", file=TOML)
