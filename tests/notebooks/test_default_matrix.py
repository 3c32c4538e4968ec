"""`make demo`'s own path, end to end: the default matrix (every notebook `notebooks/default.yml`
names, nothing left out) through `kit batch` and `kit report` as commands, on small trial counts.

A change that breaks the batch path — a notebook that no longer runs under papermill there, a
headline that reads partial, a report that cannot render a page — fails `make test`, not the
next person's `make demo`. Under `make test` the cells reuse what nbval's copies measured minutes
before (same store, same parameters); alone, the test measures on a store of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbval_copies import STORE_VARIABLE, parameters

from kit.engine import Engine
from kit.runs.matrix import load_matrix

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.engine


def kit(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kit", *argv], cwd=cwd, capture_output=True, text=True
    )


def test_the_default_matrix_through_batch_and_report(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    shared = os.environ.get(STORE_VARIABLE)
    store = Path(shared) if shared else tmp_path / "store"
    default = load_matrix(REPO / "notebooks" / "default.yml")
    names = [cell.notebook.name for cell in default.cells]
    # The same notebooks as make demo, with nbval's (small) parameters.
    matrix = {
        "timeout_s": 1800,
        "notebooks": [
            {"notebook": str(REPO / "notebooks" / n), "parameters": parameters(n, store)}
            for n in names
        ],
    }
    (tmp_path / "m.yml").write_text(json.dumps(matrix))  # JSON is YAML
    batch = kit(
        "batch", "m.yml", "--run-id", "demo-path", "--runs", "runs", "--store", str(store),
        "--phase", "venv=0", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    assert batch.returncode == 0, batch.stdout + batch.stderr[-3000:]
    run_dir = tmp_path / "runs" / "demo-path"
    state = json.loads((run_dir / "batch.json").read_text())
    statuses = {name: cell["status"] for name, cell in state["cells"].items()}
    assert len(statuses) == len(names) and set(statuses.values()) == {"ok"}, state["cells"]
    assert f"batch demo-path: {len(names)} ok" in batch.stdout

    report = kit(
        "report", "runs/demo-path", "--store", str(store), "--out", "reports", "--quiet",
        cwd=tmp_path,
    )  # fmt: skip
    assert report.returncode == 0, report.stdout + report.stderr[-3000:]
    assert "time: venv 0 s, " in report.stdout and ", report " in report.stdout
    index = (tmp_path / "reports" / "index.html").read_text()
    assert f"{len(names) + 1} notebook(s): all ok (0 partial, 0 failed)" in index
    # Every measurement notebook's headline reached the index: its verdicts and its engine.
    assert index.count('class="claims"') >= len(names), index
    assert index.count("Measured on Docker Engine") >= len(names)
    assert str(tmp_path) not in index and str(REPO) not in index  # no path of this machine
    timings = json.loads((run_dir / "batch.json").read_text())["phases"]
    assert set(timings) == {"venv", "report"}
