"""Notebook smoke tests: papermill executes each notebook with small parameters on the engine.

(nbval separately re-executes copies of the committed notebooks and compares their checked
cells; see nbval_copies.py and the Makefile's `test` target. Under `make test` these tests use
nbval's store and parameters, so they reuse what nbval measured minutes before; alone, they
measure on a store of their own.)"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbval_copies import STORE_VARIABLE, parameters

from kit import Results, Store, load_results
from kit.engine import Engine
from kit.runs.notebooks import execute

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store for 01 … 05 (04 reuses 01's node-server variants): nbval's under make test."""
    shared = os.environ.get(STORE_VARIABLE)
    return Path(shared) if shared else tmp_path_factory.mktemp("notebook-store")


def run(name: str, tmp_path: Path, store: Path) -> tuple[dict[str, Any], Results, str]:
    """Execute a notebook with nbval's parameters; return its papermill record, results, page."""
    ipynb, html = execute(
        REPO / "notebooks" / name, tmp_path / "out", parameters(name, store), progress=False
    )
    nb = nbformat.read(ipynb, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    # No progress bar at all in a notebook papermill executed: no redrawn text frames, no widget.
    assert not [o for o in outputs if o.output_type == "stream" and "\r" in o.text]
    assert not [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    page = html.read_text()
    assert "Traceback" not in page
    return dict(nb.metadata["papermill"]), load_results(store), page


def test_01_runs_with_small_parameters(
    engine: Engine, busybox: str, tmp_path: Path, store: Path
) -> None:
    papermill, results, page = run("01_base_images.ipynb", tmp_path, store)
    assert papermill["parameters"]["trials"] == 2
    assert {r.variant for r in results.ok} == {
        "full",
        "slim",
        "copy-first",
        "multistage",
        "closure",
    }
    assert results.run.profile == "local"
    assert all(r.start_n == 2 for r in results.ok)
    # Figures are in the page as embedded PNGs: three plots.
    assert page.count("data:image/png;base64") >= 3
    # The narration names the measured smallest variant and its measured size.
    smallest = min(results.ok, key=lambda r: r.size_bytes or 0)
    assert f"**{smallest.variant}** is the smallest image" in page.replace(
        "<strong>", "**"
    ).replace("</strong>", "**")
    # The headline leads the readers' page, and the contents section compares the largest
    # variant with the smallest from this run's file lists.
    largest = max(results.ok, key=lambda r: r.size_bytes or 0)
    # (in the page's body: the table of contents above it names every section first)
    body = page[page.index("</nav>", page.index('class="kit-toc"')) :]
    assert body.index("At a glance") < body.index("Build and measure")
    assert {f.variant for f in results.file_rows} == {r.variant for r in results.ok}
    assert f"<strong>{smallest.variant}</strong> lacks" in page
    assert f"<strong>{largest.variant}</strong>&#x27;s" in page or (
        f"<strong>{largest.variant}</strong>'s" in page
    )


def test_02_runs_with_small_parameters(
    engine: Engine, busybox: str, tmp_path: Path, store: Path
) -> None:
    _, results, page = run("02_layers.ipynb", tmp_path, store)
    variants = {r.variant for r in results.ok}
    assert variants == {"naive", "chained", "no-cleanup", "cleanup-later", "busybox"}
    # Every variant was dissected: one layer row per engine layer, and a compressed size.
    for r in results.ok:
        assert len([x for x in results.layer_rows if x.variant == r.variant]) == r.layers
        assert r.compressed_bytes and 0 < r.compressed_bytes < (r.size_bytes or 0)
    assert page.count("data:image/png;base64") >= 2
    # The lint join names a measured cost for the apt lists naive keeps.
    assert "DL3009" in page


def test_03_runs_with_small_parameters(
    engine: Engine, busybox: str, tmp_path: Path, store: Path
) -> None:
    _, results, page = run("03_multistage.ipynb", tmp_path, store)
    rows = {r.variant: r for r in results.ok}
    assert set(rows) == {"full", "slim", "multistage", "closure"}
    # The floor was traced on the smallest variant and every variant is measured against it.
    assert results.floor_rows and {f.variant for f in results.floor_rows} == {"closure"}
    for r in rows.values():
        assert r.floor_bytes and r.x_floor and r.x_floor >= 1.0
    assert rows["closure"].has_shell is False and rows["full"].has_compiler is True
    assert page.count("data:image/png;base64") >= 3


def test_04_runs_with_small_parameters(
    engine: Engine, busybox: str, tmp_path: Path, store: Path
) -> None:
    _, results, page = run("04_distribution.ipynb", tmp_path, store)
    rows = {r.variant: r for r in results.ok}
    assert set(rows) == {"full", "slim", "copy-first", "multistage", "closure"}
    # Every variant was pushed and pulled cold through the registry, and rebuilt after an edit.
    cold = [d for d in results.distribution_rows if d.mode == "cold" and d.status == "ok"]
    assert {d.variant for d in cold} == set(rows)
    assert all(r.push_median_s and r.pull_median_s and r.rebuild_s for r in rows.values())
    assert (rows["copy-first"].rebuild_steps or 0) > (rows["slim"].rebuild_steps or 0)
    assert {c.variant for c in results.capacity_rows} == set(rows)
    # The fresh host: every variant pulled onto an empty engine and deployed, the host filled.
    fresh = [d for d in cold if d.scenario == "fresh-host"]
    assert {d.variant for d in fresh} == set(rows)
    assert all(r.deploy_median_s and r.fresh_pulled_bytes for r in rows.values())
    assert all(c.fresh_layers_bytes for c in results.capacity_rows)
    # Push, pull, pushed bytes, fresh host and rebuild figures.
    assert page.count("data:image/png;base64") >= 5
    assert "smaller images push faster" in page
    assert "smaller images are ready sooner on a fresh host" in page


def test_05_runs_with_small_parameters(
    engine: Engine, busybox: str, tmp_path: Path, store: Path
) -> None:
    papermill, _, page = run("05_builders.ipynb", tmp_path, store)
    assert papermill["parameters"]["rebuild_trials"] == 2
    # Both builders' runs of notes-api are in the store; the last one is the classic builder's.
    kept = Store(store)
    stored = [r for r in kept.runs() if r.app == "notes-api"][-2:]
    assert [r.run.builder for r in stored] == ["buildkit", "classic"]
    buildkit, classic = (
        {r.variant: r for r in kept.results(s.run.run_id, "notes-api").image_rows} for s in stored
    )
    assert all(r.status == "ok" for r in buildkit.values())
    assert classic["cache-mount"].error_type == "BuilderSyntaxError"
    assert buildkit["multistage"].stages_built == "build, release"
    assert classic["multistage"].stages_built == "build, dev, release"
    assert page.count("data:image/png;base64") >= 2
    assert "BuildKit skips the stages the release does not use" in page


@pytest.mark.parametrize("builder", ["auto", "classic"])
def test_explore_runs_on_any_app_directory(
    engine: Engine, busybox: str, tmp_path: Path, builder: str
) -> None:
    """explore.ipynb on an app the notebooks have never seen: one of the engine tests' apps,
    under the default builder and, through the notebook's parameter, the classic one."""
    app = REPO / "tests" / "engine" / "apps" / "eng-good"
    store = tmp_path / "store"
    parameters = {"app": str(app), "profile": "local", "trials": 1, "store": str(store)}
    suffix = "-classic" if builder == "classic" else ""
    try:
        ipynb, html = execute(
            REPO / "notebooks" / "explore.ipynb",
            tmp_path / "out",
            {**parameters, "builder": builder},
            progress=False,
        )
    finally:
        for variant in ("tiny", "layered"):
            engine.images.remove(f"kitexp/eng-good:{variant}-local{suffix}")
    nb = nbformat.read(ipynb, as_version=4)
    assert not [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    results = load_results(store)
    assert results.app == "eng-good" and {r.variant for r in results.ok} == {"tiny", "layered"}
    default = "buildkit" if engine.buildkit().available else "classic"
    assert results.run.builder == (default if builder == "auto" else builder)
    assert set(results.images["builder"]) == {results.run.builder}
    page = html.read_text()
    # sizes, layers, history: three figures; the overview names both variants.
    assert page.count("data:image/png;base64") >= 3
    assert "layered" in page and "tiny" in page
