"""Budgets: parsed strictly from experiment.toml, merged per variant, judged on rows, written as
JUnit XML a CI system can read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from results_factory import failed_row, image_row, results

from kit.cli.junit import junit_xml
from kit.errors import ExperimentConfigError
from kit.inputs.app import load_app
from kit.model.budgets import Budget, effective
from kit.model.claims import DeclaredClaim
from kit.views import budgets as views

TOML = """title = "t"
[variants.small]
[variants.big]
"""


def app_dir(tmp_path: Path, extra: str) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    for name in ("small", "big"):
        (root / f"Dockerfile.{name}").write_text("FROM scratch\n")
    # A top-level key must come before the first table to stay top-level.
    toml = extra + TOML if extra.startswith("budgets =") else TOML + extra
    (root / "experiment.toml").write_text(toml)
    return root


def test_budgets_are_read_app_wide_and_per_variant(tmp_path: Path) -> None:
    app = load_app(
        app_dir(
            tmp_path,
            '[budgets]\nmax_size_mb = 300\nmin_efficiency = 0.95\nclaims = "hold"\n'
            "[variants.big.budgets]\nmax_size_mb = 1500\nhas_shell = true\n",
        )
    )
    assert set(app.budgets) == {
        Budget("max_size_mb", 300.0),
        Budget("min_efficiency", 0.95),
        Budget("claims", "hold"),
        Budget("max_size_mb", 1500.0, "big"),
        Budget("has_shell", True, "big"),
    }
    big = {b.key: b.value for b in effective(app.budgets, "big")}
    assert big == {"max_size_mb": 1500.0, "min_efficiency": 0.95, "has_shell": True}
    small = {b.key: b.value for b in effective(app.budgets, "small")}
    assert small == {"max_size_mb": 300.0, "min_efficiency": 0.95}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[budgets]\nmax_size = 3\n", "unknown budget; budgets are max_size_mb"),
        ('[budgets]\nmax_size_mb = "3"\n', "must be a number"),
        ("[budgets]\nmax_layers = -1\n", "must be a number ≥ 0"),
        ("[budgets]\nmax_layers = true\n", "must be a number"),
        ("[budgets]\nmin_efficiency = 95\n", "fraction between 0 and 1"),
        ("[budgets]\nhas_shell = 0\n", "must be true or false"),
        ('[budgets]\nclaims = "yes"\n', 'the only value is "hold"'),
        ('[variants.big.budgets]\nclaims = "hold"\n', "app-wide"),
        ("budgets = 3\n", r"\[budgets\] must be a table"),
        ("[variants.big.budgets]\nmax_sizemb = 1\n", r"\[variants.big.budgets\] max_sizemb"),
    ],
)
def test_a_bad_budget_names_file_key_and_cause(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ExperimentConfigError, match=message) as raised:
        load_app(app_dir(tmp_path, extra))
    assert raised.value.file is not None and raised.value.file.endswith("experiment.toml")


def judged(run: Any) -> dict[tuple[str, str], str]:
    return {(c.variant, c.budget): c.verdict for c in views.checks(run)}


def test_limits_are_judged_in_the_units_they_name() -> None:
    run = results(
        [
            image_row("small", size_bytes=2_000_000, layers=2, efficiency=0.99, has_shell=True),
            image_row("big", size_bytes=3_000_001, layers=4, efficiency=0.5, has_shell=True),
        ]
    )
    run = replace_budgets(
        run,
        Budget("max_size_mb", 3.0),  # 3 MB = 3,000,000 bytes: big is one byte over
        Budget("max_layers", 4.0),
        Budget("min_efficiency", 0.9),
        Budget("has_shell", False, "small"),
    )
    assert judged(run) == {
        ("small", "max_size_mb"): "within",
        ("small", "max_layers"): "within",
        ("small", "min_efficiency"): "within",
        ("small", "has_shell"): "exceeded",
        ("big", "max_size_mb"): "exceeded",
        ("big", "max_layers"): "within",  # the limit itself is allowed
        ("big", "min_efficiency"): "exceeded",
    }
    big = next(c for c in views.checks(run) if (c.variant, c.budget) == ("big", "max_size_mb"))
    assert big.limit == "size ≤ 3 MB" and big.measured == "3.0 MB" and big.value == 3_000_001


def replace_budgets(run: Any, *budgets: Budget, claims: tuple[DeclaredClaim, ...] = ()) -> Any:
    from dataclasses import replace

    return replace(run, budgets=budgets, claims=claims or run.claims)


def test_what_was_not_measured_is_said_never_passed() -> None:
    run = replace_budgets(
        results(
            [
                image_row("small", x_floor=None, floor_note="floor unknown: fatrace missing"),
                image_row("nodb", packages=None),
                failed_row("broken"),
            ]
        ),
        Budget("max_x_floor", 1.5, "small"),
        Budget("max_packages", 10.0, "nodb"),
        Budget("max_size_mb", 100.0, "broken"),
    )
    found = {c.variant: c for c in views.checks(run)}
    assert {c.verdict for c in found.values()} == {"not measured"}
    assert "fatrace missing" in found["small"].measured
    assert "no package database" in found["nodb"].measured
    assert "BuildError" in found["broken"].measured and "RUN exit 3" in found["broken"].measured


def test_claims_hold_makes_each_declared_claim_a_check() -> None:
    claims = (
        DeclaredClaim("big has more layers", "layers", "small", "big", "less"),
        DeclaredClaim("small is smaller", "size_bytes", "small", "big", "less"),
        DeclaredClaim("floor known", "x_floor", "small", 2.0, "less"),
    )
    run = replace_budgets(
        results(
            [
                image_row("small", layers=5, size_bytes=1_000_000),
                image_row("big", layers=3, size_bytes=2_000_000),
            ]
        ),
        Budget("claims", "hold"),
        claims=claims,
    )
    found = [c for c in views.checks(run) if c.budget == "claims"]
    assert [c.verdict for c in found] == ["exceeded", "within", "not measured"]
    assert found[0].limit == "claim holds: big has more layers"


def test_growth_against_a_baseline_run() -> None:
    now = results([image_row("a", size_bytes=1_060_000), image_row("b", size_bytes=1_000_000)])
    before = results([image_row("a", size_bytes=1_000_000)], run_id="old")
    found = {c.variant: c for c in views.growth(now, before, "main", 5.0)}
    assert found["a"].verdict == "exceeded" and found["a"].value == pytest.approx(6.0)
    assert found["a"].measured.startswith("+6.0 %")
    assert found["b"].verdict == "not measured" and "has no b" in found["b"].measured


def test_junit_xml_has_one_case_per_variant_and_budget() -> None:
    run = replace_budgets(
        results([image_row("small", size_bytes=1_000_000), image_row("big", size_bytes=9 * 10**6)]),
        Budget("max_size_mb", 5.0),
        Budget("max_packages", 3.0),
    )
    checks = views.checks(run)
    text = ET.tostring(
        junit_xml("tiny", checks, run_id="r1", timestamp="2026-11-29T00:00:00+00:00").getroot()
    )
    root = ET.fromstring(text)  # it parses
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 4 == int(suite.get("tests", "0"))
    names = {(c.get("classname"), c.get("name")) for c in cases}
    assert ("tiny.big", "max_size_mb: size ≤ 5 MB") in names
    failures = [c for c in cases if c.find("failure") is not None]
    errors = [c for c in cases if c.find("error") is not None]
    assert [c.get("classname") for c in failures] == ["tiny.big"]
    assert len(errors) == 2  # packages is None on every row: not measured
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "2", "0")
    allowed = junit_xml("tiny", checks, run_id="r1", timestamp="t", allow_unmeasured=True)
    suite = allowed.getroot().find("testsuite")
    assert suite is not None and suite.get("skipped") == "2" and suite.get("errors") == "0"
    assert len(suite.findall("testcase/skipped")) == 2


def test_narration_and_facts_name_what_fails() -> None:
    run = replace_budgets(
        results([image_row("big", size_bytes=9 * 10**6)]), Budget("max_size_mb", 5.0)
    )
    assert "0 of 1 budget checks hold" in views.narrate(run)
    assert views.facts(run) == "budget big: size ≤ 5 MB: exceeded"
    assert "No budgets" in views.narrate(results([image_row("a")]))
