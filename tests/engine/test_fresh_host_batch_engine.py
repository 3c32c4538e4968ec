"""The fresh host through ``kit batch``, as ``make demo`` runs it from a checkout at a long path:
notebook 04 on the small fresh-host app with a working directory and a TMPDIR each over 150
characters (each cell's TMPDIR is under ``runs/<id>/.tmp/``, longer still). Every variant's
fresh-host row is ok, and nothing of the extra engine is left: no dockerd, no mount, no folder.

And the way to make only the extra engine's dockerd fail, for an end-to-end check of what a
failed fresh host looks like: a ``dockerd`` first on PATH that exits 1 when its exec root is
under the kit's socket base (the extra engines' only), and runs the real one otherwise.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import Check
from prereq import need_registry, unavailable

from kit import load_results
from kit.engine import Engine
from kit.host.procs import mounts_under, processes_using
from kit.host.socketdir import socket_base
from kit.model.results import Results
from kit.runs.report import build_report
from kit.util.pids import running

pytestmark = pytest.mark.engine
REPO = Path(__file__).resolve().parents[2]
VARIANTS = {"small", "medium", "large"}
REFUSAL = "kit test: this dockerd refuses to start"
#: A ``dockerd`` that fails the kit's extra engines only (their exec root is under the socket
#: base); ``dockerd --version`` and any other dockerd run the real one.
FAILING_DOCKERD = """\
#!/bin/sh
for arg in "$@"; do
  case "$arg" in
    --exec-root={base}/*) echo "{refusal} ($arg)" >&2; exit 1 ;;
  esac
done
exec {real} "$@"
"""


def _long(base: Path, name: str) -> Path:
    path = base / (name * 60)
    while len(str(path)) <= 150:
        path = path / (name * 60)
    path.mkdir(parents=True)
    return path


def _dockerds() -> set[int]:
    pids = (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
    # A stopped dockerd whose parent (the batch) exited first stays a zombie until pid 1 reaps
    # it, late here: it is gone, not left running.
    return {pid for pid in pids if running(pid, "dockerd")}


def _short_dirs() -> set[str]:
    base = socket_base()
    return {p.name for p in base.iterdir()} if base.is_dir() else set()


def _batch(tmp_path: Path, path_first: Path | None = None) -> tuple[Results, str, int, Path]:
    """``kit batch`` of notebook 04 on eng-fresh (1 trial, 1 push, no rebuild, the fresh host)
    from a long working directory with a long TMPDIR (``path_first``: put first on PATH); the
    stored results, the cell's status, the batch's exit code and its run dir. Asserts nothing of
    the fresh host is left behind."""
    need_registry()
    if os.geteuid() != 0:
        unavailable("the fresh host is an extra dockerd: root only")
    cwd, tmp = _long(tmp_path, "c"), _long(tmp_path, "t")
    (cwd / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "04_distribution.ipynb", cwd / "notebooks")
    parameters = {
        "app": str(Check.app_dir("eng-fresh")),
        "profile": "local",
        "trials": 1,
        "push_trials": 1,
        "rebuild_trials": 0,
        "fresh_host": True,
    }
    matrix = {
        "notebooks": [{"notebook": "notebooks/04_distribution.ipynb", "parameters": parameters}]
    }
    (cwd / "m.yml").write_text(json.dumps(matrix))  # JSON is YAML
    run_id = f"fresh-batch-{secrets.token_hex(4)}"
    env = {**os.environ, "TMPDIR": str(tmp)}
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env['PATH']}"
    dockerds, short_dirs = _dockerds(), _short_dirs()
    busy_before = {name for name in short_dirs if processes_using(socket_base() / name)}
    argv = ["batch", "m.yml", "--run-id", run_id, "--store", "results", "--quiet"]
    done = subprocess.run(
        [sys.executable, "-m", "kit", *argv], cwd=cwd, env=env, capture_output=True, text=True
    )
    run_dir = cwd / "runs" / run_id
    assert (run_dir / "batch.json").exists(), done.stderr
    cells = json.loads((run_dir / "batch.json").read_text())["cells"]
    assert len(cells) == 1, cells
    (cell,) = cells.values()
    # Nothing of the fresh host left: no process, no mount, no folder of its sockets. The socket
    # base is shared (an engine the user brought up with `kit engine up --engine 28` keeps its
    # sockets there too): only the folders this batch made are looked into.
    assert _dockerds() <= dockerds, "an extra dockerd outlived the batch"
    made = [socket_base() / name for name in _short_dirs() - short_dirs]
    assert not made, f"the extra engine's socket folder was left: {made}"
    for place in (cwd, tmp):
        assert not processes_using(place), place
        assert not mounts_under(place), place
    for name in short_dirs:
        assert not processes_using(socket_base() / name) or name in busy_before, name
    assert not (run_dir / ".tmp").exists()
    assert not list(tmp.iterdir())
    executed = nbformat.read(run_dir / Path(cell["output"]).name, as_version=4)
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors, (errors, done.stderr)
    return load_results(cwd / "results"), str(cell["status"]), done.returncode, run_dir


def _fresh_rows(results: Results) -> dict[str, tuple[str, str | None]]:
    rows = [d for d in results.distribution_rows if d.scenario == "fresh-host"]
    return {d.variant: (d.status, d.error) for d in rows}


def test_fresh_host_through_kit_batch_at_long_paths(
    engine: Engine, busybox: str, tmp_path: Path, no_leaks: None
) -> None:
    results, status, code, _ = _batch(tmp_path)
    assert status == "ok" and code == 0
    fresh = _fresh_rows(results)
    assert set(fresh) == VARIANTS
    assert all(s == "ok" for s, _ in fresh.values()), fresh
    assert all(r.deploy_median_s and r.fresh_pulled_bytes for r in results.ok), results.ok
    assert {r.variant for r in results.ok} == VARIANTS


def test_a_dockerd_that_fails_the_extra_engine_only_fails_the_fresh_host_rows(
    engine: Engine, busybox: str, tmp_path: Path, no_leaks: None
) -> None:
    real = shutil.which("dockerd")
    if real is None:
        unavailable("dockerd is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "dockerd"
    wrapper.write_text(FAILING_DOCKERD.format(base=socket_base(), refusal=REFUSAL, real=real))
    wrapper.chmod(0o755)
    results, status, code, run_dir = _batch(tmp_path, path_first=bin_dir)
    # A measurement asked for and failed: the notebook is partial and the batch exits 1.
    assert status == "partial" and code == 1
    fresh = _fresh_rows(results)
    assert set(fresh) == VARIANTS
    for variant, (row_status, error) in fresh.items():
        assert row_status == "failed", (variant, error)
        assert error and "the extra dockerd exited with code 1" in error and REFUSAL in error
    # The main engine was not the wrapper's: everything else measured as usual.
    assert {r.variant for r in results.ok} == VARIANTS
    base_present = [d for d in results.distribution_rows if d.scenario == "base-present"]
    assert base_present and all(d.status == "ok" for d in base_present), base_present
    # The index page says so, with the cause, and never "0 failed".
    report = build_report([run_dir], run_dir.parent.parent / "results", tmp_path / "reports")
    (page,) = [p for p in report.pages if p.notebook.stem.startswith("04")]
    assert page.status == "partial"
    text = report.index.read_text()
    assert REFUSAL in text and "0 failed" not in text
    assert "failed: fresh host of" in text  # the fresh-host claims, on the front page
