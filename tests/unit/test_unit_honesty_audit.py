"""The audit of issue 22 (no silent failure), from hand-made rows and stand-in engines: hadolint
that does not run, a builder claim whose build or rebuild broke, images per host and the fresh
host's fill that failed, a stage image gone before it was measured. Each is a Failure in
``results.failures``, its claims read "failed: <cause>", and the headline says partial. No
engine."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from results_factory import image_row, run_info
from test_unit_builders_view import _runs
from test_unit_distribution_narration import node
from test_unit_lint import DOCKERFILES, make_app

from kit.engine import DiskUsage
from kit.engine.models import ImageUsage
from kit.errors import EngineGoneError, ImageGoneError
from kit.measure.lint import lint_or_failure
from kit.measure.stages import stage_sizes
from kit.measure.transfer import fresh_host as fresh
from kit.measure.transfer.fresh_host import FreshHost, fill_or_why
from kit.model.failures import Failure
from kit.model.results import Results
from kit.model.rows import RebuildRow
from kit.pipeline import experiment, payoffs
from kit.pipeline.payoffs import Payoffs, measure_payoffs
from kit.pipeline.variant import VariantOutcome
from kit.views import builders, layers
from kit.views.builders.text import CACHE_CLAIM, REBUILD_CLAIM, SKIP_CLAIM
from kit.views.distribution.text import narrate as distribution_narrate
from kit.views.summary import summary

PAIR = ["cache-mount", "single"]


def _builder_verdicts(runs: list[Results]) -> dict[str, str]:
    frame = builders.claims(runs, PAIR)
    return dict(zip(frame["claim"], frame["verdict"], strict=True))


# --- lint -----------------------------------------------------------------------------------


def test_hadolint_missing_is_a_lint_failure_and_the_run_is_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path / "app", {"clean": DOCKERFILES["clean"]})
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    report, failure = lint_or_failure(app)
    assert report is None and failure is not None
    analysed = tuple(dataclasses.replace(r, efficiency=0.9) for r in node().image_rows)
    results = dataclasses.replace(node(), image_rows=analysed, step_failures=(failure,))
    assert failure in results.failures
    found = summary(results)
    assert found.status == "partial"
    assert any(f.startswith("lint: hadolint is not installed") for f in found.failures)
    told = str(layers.narrate(results))
    assert "**Lint failed** — lint: hadolint is not installed" in told


def test_a_hadolint_that_runs_gives_a_report_and_no_failure(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", {"clean": DOCKERFILES["clean"]})
    report, failure = lint_or_failure(app)  # the venv's hadolint (a kit dependency)
    assert failure is None and report is not None
    assert [s.status for s in report.statuses] == ["ok"]
    analysed = tuple(dataclasses.replace(r, efficiency=0.9) for r in node().image_rows)
    told = str(layers.narrate(dataclasses.replace(node(), image_rows=analysed)))
    assert "Layers range" in told and "Lint failed" not in told


def test_the_pipeline_stores_its_own_failed_steps_with_the_payoffs_ones() -> None:
    row = image_row("slim")
    lint = Failure("lint", None, "hadolint does not run: --version exited 3")
    capacity = Failure("images per host", None, "image kitexp/tiny:slim is gone")
    app = SimpleNamespace(rejected=(), name="tiny", title="Tiny", claims=(), budgets=())
    run = SimpleNamespace(
        app=app,
        envelope=run_info(),
        outcomes=[VariantOutcome(row)],
        rows=[row],
        lint=None,
        floor_rows=[],
        payoffs=Payoffs(failures=(capacity,)),
        failures=[lint],
    )
    results = experiment._results(cast(Any, run))
    assert results.step_failures == (lint, capacity)
    assert set(results.failures) == {lint, capacity}
    assert summary(results).status == "partial"


# --- builders -------------------------------------------------------------------------------


def test_a_failed_rebuild_fails_the_builders_rebuild_claim() -> None:
    runs = _runs()
    classic = runs[1]
    broken = (
        RebuildRow(
            "multistage", "app.py", None, None, "failed", "build failed: no space", "tiny", 0
        ),
    )
    runs[1] = dataclasses.replace(classic, rebuild_rows=broken)
    verdicts = _builder_verdicts(runs)
    assert (
        verdicts[REBUILD_CLAIM] == "failed: rebuild (classic) of multistage: build failed: no space"
    )
    assert summary(runs, PAIR).status == "partial"


def test_no_rebuild_trials_asked_stays_not_tested() -> None:
    runs = [dataclasses.replace(r, rebuild_rows=()) for r in _runs()]
    assert _builder_verdicts(runs)[REBUILD_CLAIM] == "not tested"
    assert summary(runs, PAIR).status == "ok"


def test_a_build_that_broke_under_one_builder_fails_the_skip_claim() -> None:
    runs = _runs()
    classic = runs[1]
    rows = tuple(
        image_row(
            "multistage",
            stages=3,
            status="failed",
            error="build failed: RUN exit 3",
            error_type="BuildError",
            size_bytes=None,
        )
        if r.variant == "multistage"
        else r
        for r in classic.image_rows
    )
    runs[1] = dataclasses.replace(classic, image_rows=rows, rebuild_rows=())
    verdicts = _builder_verdicts(runs)
    assert verdicts[SKIP_CLAIM] == (
        "failed: build (classic) of multistage: BuildError: build failed: RUN exit 3"
    )
    assert summary(runs, PAIR).status == "partial"


def test_a_broken_build_of_the_cache_pair_fails_the_cache_claim() -> None:
    runs = _runs()
    bk = runs[0]
    rows = tuple(
        image_row("single", status="failed", error="apt: 404", error_type="BuildError")
        if r.variant == "single"
        else r
        for r in bk.image_rows
    )
    runs[0] = dataclasses.replace(bk, image_rows=rows)
    # classic's cache-mount failure is the builder's limit (expected); buildkit's single broke.
    assert _builder_verdicts(runs)[CACHE_CLAIM] == (
        "failed: build (buildkit) of single: BuildError: apt: 404"
    )


def test_an_expected_builder_limit_leaves_the_cache_claim_not_tested() -> None:
    runs = _runs()
    runs[0] = dataclasses.replace(runs[0], rule_bytes=())  # BuildKit's layers not analysed
    assert _builder_verdicts(runs)[CACHE_CLAIM] == "not tested"
    assert summary(runs, PAIR).status == "ok"


# --- images per host and the fresh host's fill ----------------------------------------------


def test_a_failed_capacity_says_so_in_the_narration() -> None:
    failure = Failure("images per host", None, "image kitexp/tiny:slim is gone")
    results = dataclasses.replace(node(), capacity_rows=(), step_failures=(failure,))
    assert "**Not measured** — images per host: image kitexp/tiny:slim is gone" in str(
        distribution_narrate(results)
    )
    assert summary(results).status == "partial"
    # Not asked for: nothing said, nothing failed.
    quiet = dataclasses.replace(node(), capacity_rows=())
    assert "**Not measured** —" not in str(distribution_narrate(quiet))


def test_a_failed_fill_says_so_and_the_run_is_partial() -> None:
    failure = Failure("fresh host fill", None, "pull of slim: 404")
    results = dataclasses.replace(node(), step_failures=(failure,))
    assert all(c.fresh_layers_bytes is None for c in results.capacity_rows)
    assert "**Not measured** — fresh host fill: pull of slim: 404" in str(
        distribution_narrate(results)
    )
    assert failure in results.failures and summary(results).status == "partial"


class _Host:
    """A fresh host whose images cannot all be removed, or that is gone."""

    def __init__(self, gone: bool = False) -> None:
        self.gone = gone
        self.images = self

    def ids(self) -> list[str]:
        if self.gone:
            raise EngineGoneError("the fresh host's engine stopped answering")
        return []

    def disk_usage(self) -> DiskUsage:
        return DiskUsage((ImageUsage("sha256:left", 10, 0),), 10)


def test_a_fill_that_fails_is_its_own_failure_not_the_trials() -> None:
    fill, why = fill_or_why(cast(Any, _Host()), [], Path("/nonexistent"))
    assert fill is None
    assert why == (
        "the fresh host is not empty after removing every image: 1 image(s), "
        "10 bytes of layers left"
    )
    with pytest.raises(EngineGoneError):
        fill_or_why(cast(Any, _Host(gone=True)), [], Path("/nonexistent"))


def test_payoffs_carry_the_fill_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    trial = fresh.fresh_failed("slim", 0, "x")
    ok = dataclasses.replace(trial, status="ok", error=None, pull_s=1.0, pulled_bytes=5)
    monkeypatch.setattr(payoffs, "_registry", lambda url: contextlib.nullcontext(None))
    monkeypatch.setattr(payoffs, "measure_distribution", lambda *a, **k: ())
    monkeypatch.setattr(
        payoffs,
        "measure_fresh_or_fail",
        lambda *a, **k: FreshHost((ok,), None, "pull of slim: 404"),
    )
    app = SimpleNamespace(name="tiny", probe=None, limits=None)
    found = measure_payoffs(
        cast(Any, None),
        cast(Any, app),
        "local",
        [image_row("slim")],
        [],
        distribution=1,
        rebuild=0,
        capacity=False,
        fresh_host=True,
    )
    assert [d.status for d in found.distribution] == ["ok"]  # the trial stands
    assert found.failures == (Failure("fresh host fill", None, "pull of slim: 404"),)


# --- stage sizes ----------------------------------------------------------------------------


def test_a_stage_image_gone_before_it_was_measured_is_an_error(tmp_path: Path) -> None:
    text = 'FROM kitbase/busybox:1\nRUN true\nFROM kitbase/busybox:1\nCMD ["true"]\n'
    app = make_app(tmp_path / "app", {"two": text})
    engine = SimpleNamespace(images=SimpleNamespace(inspect=lambda ref: None))
    with pytest.raises(ImageGoneError, match="stage 'stage 1' is gone"):
        stage_sizes(cast(Any, engine), app, app.variants[0], "local")
