"""A measurement that failed is never reported as a success: from hand-made rows, the failures a
run records, claims that read "failed: <cause>" (distinct from "not tested"), the headline's
partial status and the JSON it carries, the store keeping a failed step, and a batch and report
that call a notebook with a failed measurement partial (exit code 1). No engine."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import nbformat
import pytest
from notebook_factory import make_notebook
from results_factory import failed_row, image_row
from test_unit_distribution_narration import PULL_CLAIM, PUSH_CLAIM, node, verdicts
from test_unit_fresh_host import fresh_rows

from kit import cli
from kit.model.failures import Failure, collect, one_line
from kit.model.results import Results
from kit.model.rows import DistributionRow
from kit.model.store import Store
from kit.runs.report import build_report
from kit.runs.summaries import missing, summaries
from kit.views.distribution.fresh import BASE_DEPLOY_CLAIM, DEPLOY_CLAIM, FRESH_PULL_CLAIM
from kit.views.distribution.text import claims as distribution_claims
from kit.views.summary import MIME, Summary, headline, summary

SOCKET = (
    "fresh host: the extra dockerd exited with code 1 (log: /x/dockerd.log) … can't create "
    "unix socket /very/long/kit-exec-1/docker.sock: bind: invalid argument"
)


def fresh_failed(results: Results) -> Results:
    """As ``make demo`` saw it: the extra dockerd would not start, one failed row per variant."""
    variants = sorted({d.variant for d in results.distribution_rows})
    rows = [
        DistributionRow(
            app="tiny",
            variant=v,
            trial=0,
            mode="cold",
            push_s=None,
            pull_s=None,
            pushed_bytes=None,
            pulled_bytes=None,
            status="failed",
            error=SOCKET,
            scenario="fresh-host",
        )
        for v in variants
    ]
    return dataclasses.replace(results, distribution_rows=(*results.distribution_rows, *rows))


def test_a_failed_fresh_host_fails_its_claims_with_the_cause() -> None:
    results = fresh_failed(node())
    found = verdicts(results)
    for claim in (FRESH_PULL_CLAIM, DEPLOY_CLAIM, BASE_DEPLOY_CLAIM):
        assert found[claim] == "failed", claim
    # The base-present pushes and pulls were measured: their claims are judged as before.
    assert found[PUSH_CLAIM] != "failed" and found[PULL_CLAIM] != "failed"
    table = distribution_claims(results).set_index("claim")
    verdict = table.loc[FRESH_PULL_CLAIM, "verdict"]
    assert verdict.startswith("failed: fresh host of ") and "bind: invalid argument" in verdict
    assert "\n" not in verdict


def test_not_asked_is_not_a_failure() -> None:
    results = node()  # no fresh-host rows: the parameters did not ask for it
    assert verdicts(results)[FRESH_PULL_CLAIM] == "not measured"
    assert results.failures == ()
    assert summary(results).status == "ok"


def test_the_headline_of_a_partial_run_says_so_and_carries_its_facts() -> None:
    results = fresh_failed(node())
    shown = headline(results)
    assert "**Partial:" in shown and "fresh host of " in shown
    bundle = shown._repr_mimebundle_()
    assert bundle["text/markdown"] == str(shown)
    data = bundle[MIME]
    json.dumps(data)  # what a notebook stores must be JSON
    back = Summary.from_json(data)
    assert back == shown.summary and back.status == "partial"
    variants = sorted({d.variant for d in results.distribution_rows})
    assert len(back.failures) == len(variants)
    assert any(v.verdict.startswith("failed: ") for v in back.verdicts)
    assert "20.10.24" in back.engine and back.builder == results.run.builder


def test_a_builder_limit_the_run_chose_is_listed_not_partial() -> None:
    row = failed_row("cache-mount", error_type="BuilderSyntaxError", error="needs BuildKit")
    results = dataclasses.replace(node(), image_rows=(*node().image_rows, row))
    classic = dataclasses.replace(results, run=dataclasses.replace(results.run, builder="classic"))
    (failure,) = classic.failures
    assert failure.expected and failure.step == "build"
    found = summary(classic)
    assert found.status == "ok" and found.failures == ()
    assert found.expected == ("build of cache-mount: BuilderSyntaxError: needs BuildKit",)
    # Under BuildKit the same failure is a real one.
    buildkit = dataclasses.replace(
        results, run=dataclasses.replace(results.run, builder="buildkit")
    )
    assert summary(buildkit).status == "partial"


def test_an_unknown_floor_is_a_failure_and_explains_x_floor_claims() -> None:
    rows = tuple(
        dataclasses.replace(r, floor_note="the traced run of closure failed: probe timed out")
        for r in node().image_rows
    )
    results = dataclasses.replace(node(), image_rows=rows)
    assert results.failures == (
        Failure("floor", None, "the traced run of closure failed: probe timed out"),
    )
    traced = tuple(dataclasses.replace(r, floor_bytes=10, x_floor=2.0) for r in rows)
    assert dataclasses.replace(results, image_rows=traced).failures == ()


def test_one_line_drops_colour_and_later_lines() -> None:
    assert one_line("\x1b[31mERROR\x1b[0m: boom\nTraceback …") == "ERROR: boom"
    assert len(one_line("x" * 1000)) == 240
    assert one_line(None) == ""


def test_failures_are_one_per_step_and_variant() -> None:
    rows = fresh_rows(pull_per_mb=0.01, trials=2)
    bad = [dataclasses.replace(r, status="failed", error="pull: 404") for r in rows]
    found = collect([image_row("slim")], bad)
    assert sorted(f.variant or "" for f in found) == sorted({r.variant for r in rows})
    assert {f.step for f in found} == {"fresh host"}


def test_a_failed_step_without_rows_survives_the_store(tmp_path: Path) -> None:
    failure = Failure("images per host", None, "image kitexp/tiny:slim is gone")
    results = dataclasses.replace(node(), step_failures=(failure,))
    store = Store(tmp_path / "store")
    store.append(results)
    (back,) = Store(tmp_path / "store").runs()
    assert back.failures == (failure,)
    loaded = Store(tmp_path / "store").results()
    assert failure in loaded.failures
    assert summary(loaded).status == "partial"


# --- batch and report ---------------------------------------------------------------------

PARTIAL_CELL = """
import dataclasses, sys
sys.path[:0] = [{tests!r}, {tests!r} + "/.."]
from test_unit_honesty import fresh_failed
from test_unit_distribution_narration import node
import kit
kit.views.summary.headline(fresh_failed(node()))
"""


@pytest.fixture()
def partial_matrix(tmp_path: Path) -> Path:
    tests = str(Path(__file__).parent)
    make_notebook(tmp_path / "partial.ipynb", "x = 1\n", PARTIAL_CELL.format(tests=tests))
    make_notebook(tmp_path / "ok.ipynb", "x = 1\n", "print(x)")
    (tmp_path / "m.yml").write_text("notebooks: [ok.ipynb, partial.ipynb]\n")
    return tmp_path


def test_a_partial_notebook_fails_the_batch_and_shows_on_the_index(
    partial_matrix: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = partial_matrix / "runs"
    argv = ["batch", str(partial_matrix / "m.yml"), "--run-id", "p", "--runs", str(runs)]
    assert cli.main([*argv, "--quiet", "--phase", "venv=1.5", "--phase", "bases=2"]) == 1
    out = capsys.readouterr().out
    assert "batch p: 1 ok, 1 partial (state" in out
    state = json.loads((runs / "p" / "batch.json").read_text())
    cell = state["cells"]["partial"]
    assert cell["status"] == "partial" and "measurement(s) failed" in cell["error"]["evalue"]
    assert state["phases"] == {"venv": 1.5, "bases": 2.0}
    nb = nbformat.read(runs / "p" / "partial.ipynb", as_version=4)
    assert missing(summaries(nb)) is not None

    report = build_report([runs / "p"], partial_matrix / "store", partial_matrix / "reports")
    statuses = {p.notebook.stem: p.status for p in report.pages}
    assert statuses["partial"] == "partial" and statuses["ok"] == "ok"
    text = report.index.read_text()
    assert "1 partial" in text and "bind: invalid argument" in text
    assert "failed: fresh host of" in text and "0 failed" not in text
