"""kit.runs.batch without an engine: tiny notebooks written here, run by papermill on "python3"."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from notebook_factory import kernels_of, make_notebook
from prereq import unavailable

from kit.errors import LockedError
from kit.runs.batch import BatchResult, CellResult, run_batch
from kit.runs.cell import CellError, CellSpec, request_stop, run_cell
from kit.util.locks import file_lock

REPO = Path(__file__).resolve().parents[2]

# Prints what the kernel was given, for the assertions to read back from the executed notebook.
REPORT = """\
import json, os
print(json.dumps({"cwd": os.getcwd(), "x": x, "store": store,
                  "env": {k: os.environ.get(k) for k in ("KIT_BATCH_ID", "KIT_FORCE", "TMPDIR")},
                  "tmp_exists": os.path.isdir(os.environ["TMPDIR"])}))
"""


def notebook(path: Path, body: str, parameters: str = "x = 1\nstore = None\n") -> Path:
    return make_notebook(path, parameters, body)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def printed(cell: CellResult) -> dict[str, object]:
    nb = nbformat.read(cell.output, as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    report: dict[str, object] = json.loads(text)
    return report


def state(result: BatchResult) -> dict[str, dict[str, object]]:
    cells: dict[str, dict[str, object]] = json.loads((result.run_dir / "batch.json").read_text())[
        "cells"
    ]
    return cells


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    notebook(tmp_path / "nb" / "report.ipynb", REPORT)
    notebook(tmp_path / "nb" / "fails.ipynb", "raise ValueError(f'boom {x}')")
    notebook(
        tmp_path / "nb" / "engine_gone.ipynb",
        "from kit.errors import EngineGoneError\n"
        "raise EngineGoneError('the Docker engine stopped answering during build')",
    )
    write(
        tmp_path / "nb" / "m.yml",
        """\
        timeout_s: 120
        notebooks:
          - notebook: report.ipynb
            parameters: {x: [1, 2]}
          - fails.ipynb
          - engine_gone.ipynb
          - notebook: report.ipynb
            parameters: {x: 3, store: mine}
        """,
    )
    return tmp_path


def test_a_batch_runs_every_cell_keeps_failures_and_goes_on(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("KIT_FORCE", "1")  # only force=True gives it to the kernels
    result = run_batch(project / "nb" / "m.yml", run_id="r1", quiet=True)
    run_dir = project / "runs" / "r1"
    assert result.run_id == "r1" and result.run_dir == run_dir
    names = [c.output.name for c in result.cells]
    assert names == [
        "report-x=1.ipynb",
        "report-x=2.ipynb",
        "fails.ipynb",
        "engine_gone.ipynb",
        "report-store=mine,x=3.ipynb",
    ]
    assert all(c.output.exists() and c.output.parent == run_dir for c in result.cells)
    assert [c.status for c in result.cells] == ["ok", "ok", "failed", "failed", "ok"]
    assert result.failed == result.cells[2:4] and len(result.ok) == 3
    # cell 3 of the executed notebook: papermill injected the store after the parameters cell.
    assert result.cells[2].error == CellError("ValueError", "boom 1", 3)
    gone = result.cells[3].error
    assert gone is not None and gone.ename == "EngineGoneError"
    assert "stopped answering" in gone.evalue and str(gone).startswith("cell 3: EngineGoneError")
    assert not any(c.skipped for c in result.cells)
    assert all(c.seconds is not None and c.seconds > 0 for c in result.cells)

    first = printed(result.cells[0])
    assert first["cwd"] == str(project / "nb") and first["x"] == 1
    assert first["store"] == str(project / "results")  # declared, not set: the batch's store
    assert printed(result.cells[4])["store"] == "mine"
    env = first["env"]
    assert isinstance(env, dict)
    assert env["KIT_BATCH_ID"] == "r1" and env["KIT_FORCE"] is None
    assert Path(env["TMPDIR"]).parent == run_dir / ".tmp" and first["tmp_exists"]
    assert not (run_dir / ".tmp").exists(), "the cells' temp dirs are removed"

    saved = state(result)
    assert list(saved) == [n.removesuffix(".ipynb") for n in names]
    fails = saved["fails"]
    assert fails["status"] == "failed" and fails["notebook"] == str(project / "nb" / "fails.ipynb")
    assert fails["error"] == {"ename": "ValueError", "evalue": "boom 1", "cell": 3}
    assert fails["output"] == str(run_dir / "fails.ipynb") and fails["parameters"] == {}
    assert saved["report-x=2"]["parameters"] == {"x": 2}
    for entry in saved.values():
        assert {"started_utc", "finished_utc", "seconds"} <= set(entry)
        assert str(entry["finished_utc"]).endswith("Z")


def test_a_rerun_resumes_and_force_reruns_everything(project: Path, tmp_path: Path) -> None:
    matrix = write(
        project / "nb" / "small.yml",
        "notebooks:\n  - notebook: report.ipynb\n    parameters: {x: [1, 2]}\n  - fails.ipynb\n",
    )
    runs = tmp_path / "elsewhere"
    first = run_batch(matrix, run_id="r2", runs_dir=runs, quiet=True)
    stamp = first.cells[0].output.stat().st_mtime_ns
    again = run_batch(matrix, run_id="r2", runs_dir=runs, quiet=True)
    assert [c.skipped for c in again.cells] == [True, True, False]
    assert [c.status for c in again.cells] == ["ok", "ok", "failed"]
    assert again.cells[0] == dataclasses.replace(first.cells[0], skipped=True)
    assert again.cells[0].output.stat().st_mtime_ns == stamp
    # A finished cell whose notebook is gone runs again.
    again.cells[1].output.unlink()
    third = run_batch(matrix, run_id="r2", runs_dir=runs, quiet=True)
    assert [c.skipped for c in third.cells] == [True, False, False]

    forced = run_batch(matrix, run_id="r2", runs_dir=runs, quiet=True, force=True)
    assert not any(c.skipped for c in forced.cells)
    env = printed(forced.cells[0])["env"]
    assert isinstance(env, dict) and env["KIT_FORCE"] == "1"


def test_a_run_dir_in_use_fails_at_once_naming_it_and_the_holder(
    project: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "runs" / "busy"
    with file_lock(run_dir / "batch.lock", what="test", timeout_s=0):
        started = time.monotonic()
        with pytest.raises(LockedError) as raised:
            run_batch(project / "nb" / "m.yml", run_id="busy", runs_dir=tmp_path / "runs")
        assert time.monotonic() - started < 5
    message = str(raised.value)
    assert str(run_dir) in message and f"pid {os.getpid()}" in message
    assert not (run_dir / "batch.json").exists()


def test_the_per_cell_timeout_fails_the_cell(tmp_path: Path) -> None:
    notebook(tmp_path / "slow.ipynb", "import time; time.sleep(30)")
    matrix = write(tmp_path / "m.yml", "timeout_s: 1\nnotebooks: [slow.ipynb]\n")
    (cell,) = run_batch(matrix, run_id="t", runs_dir=tmp_path / "runs", quiet=True).cells
    assert cell.status == "failed" and cell.error is not None
    assert cell.error.ename == "CellTimeoutError" and cell.seconds is not None
    assert cell.seconds < 25 and cell.output.exists()


def test_cells_run_on_a_thread_pool(project: Path, tmp_path: Path) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        result = run_batch(
            project / "nb" / "m.yml", run_id="t", runs_dir=tmp_path / "r", executor=pool
        )
    assert [c.status for c in result.cells] == ["ok", "ok", "failed", "failed", "ok"]
    assert [printed(c)["x"] for c in result.ok] == [1, 2, 3]
    assert all(s["status"] in ("ok", "failed") for s in state(result).values())


def test_cells_run_on_a_dask_cluster(project: Path, tmp_path: Path) -> None:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        unavailable(f"dask.distributed is not installed: {exc}")
    write(
        tmp_path / "nb" / "two.yml",
        "notebooks:\n  - notebook: report.ipynb\n    parameters: {x: [1, 2]}\n",
    )
    cluster = LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        result = run_batch(
            tmp_path / "nb" / "two.yml",
            run_id="dask",
            runs_dir=tmp_path / "runs",
            executor=client.get_executor(),
            quiet=True,
        )
    assert [c.status for c in result.cells] == ["ok", "ok"], result.cells
    assert [printed(c)["x"] for c in result.cells] == [1, 2]
    assert {s["status"] for s in state(result).values()} == {"ok"}


# -- Ctrl-C --------------------------------------------------------------------------------------

BLOCKS = """\
import os, pathlib, signal, time
if stubborn:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
pathlib.Path(ready).write_text(str(os.getpid()))
while os.path.exists(block):
    time.sleep(0.1)
"""


def _interrupted_batch(tmp_path: Path, *, stubborn: bool, sigints: int) -> tuple[Path, str]:
    """Run a batch in a session of its own (as a terminal would), Ctrl-C it mid-notebook."""
    block, ready = tmp_path / "block", tmp_path / "ready"
    block.touch()
    notebook(
        tmp_path / "blocks.ipynb",
        BLOCKS,
        f"block = {str(block)!r}\nready = {str(ready)!r}\nstubborn = {stubborn}\n",
    )
    notebook(tmp_path / "after.ipynb", "print('after')", "x = 1\n")
    matrix = write(tmp_path / "m.yml", "notebooks: [blocks.ipynb, after.ipynb]\n")
    run_id = f"sigint-{os.getpid()}-{tmp_path.name}"
    code = (
        "import kit.runs.cell, kit.runs.batch as b; kit.runs.cell.GRACE_S = 3\n"
        f"b.run_batch({str(matrix)!r}, run_id={run_id!r}, runs_dir={str(tmp_path / 'runs')!r},"
        " quiet=True)"
    )
    batch = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert batch.poll() is None, "the batch ended before the notebook started"
            assert time.monotonic() < deadline, "the notebook never started"
            time.sleep(0.1)
        assert kernels_of(run_id) == [int(ready.read_text())]
        for _ in range(sigints):
            os.killpg(batch.pid, signal.SIGINT)
            time.sleep(0.5)
        code_ = batch.wait(timeout=60)
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
    assert code_ in (1, -signal.SIGINT), "KeyboardInterrupt must propagate"
    return matrix, run_id


@pytest.mark.parametrize(
    ("stubborn", "sigints", "ename"),
    [
        (False, 1, "KeyboardInterrupt"),  # the kernel stops its cell and exits cleanly
        (True, 1, "DeadKernelError"),  # it ignores SIGINT: killed after the grace time
        (True, 2, None),  # a second Ctrl-C kills it at once
    ],
)
def test_ctrl_c_leaves_no_kernel_no_temp_dir_and_a_resumable_state(
    tmp_path: Path, stubborn: bool, sigints: int, ename: str | None
) -> None:
    matrix, run_id = _interrupted_batch(tmp_path, stubborn=stubborn, sigints=sigints)
    run_dir = tmp_path / "runs" / run_id
    assert kernels_of(run_id) == [], "a kernel outlived its batch"
    assert not (run_dir / ".tmp").exists()
    cells = json.loads((run_dir / "batch.json").read_text())["cells"]
    assert cells["blocks"]["status"] == "interrupted"
    assert (cells["blocks"]["error"] or {}).get("ename") == ename
    assert cells["after"]["status"] == "pending"
    assert (run_dir / "blocks.ipynb").exists()

    (tmp_path / "block").unlink()
    resumed = run_batch(matrix, run_id=run_id, runs_dir=tmp_path / "runs", quiet=True)
    assert [(c.status, c.skipped) for c in resumed.cells] == [("ok", False), ("ok", False)]
    assert kernels_of(run_id) == []


def test_a_cell_on_a_worker_thread_stops_when_the_batch_asks(tmp_path: Path) -> None:
    """A worker thread never sees SIGINT: the batch's stop file stops the cell as a first Ctrl-C
    does (the kernel interrupted, the cell ``interrupted``, the kernel gone)."""
    block, ready = tmp_path / "block", tmp_path / "ready"
    block.touch()
    notebook(
        tmp_path / "blocks.ipynb",
        BLOCKS,
        f"block = {str(block)!r}\nready = {str(ready)!r}\nstubborn = False\n",
    )
    spec = CellSpec(
        notebook=str(tmp_path / "blocks.ipynb"),
        output=str(tmp_path / "out.ipynb"),
        parameters=(),
        timeout_s=120,
        env=(("KIT_BATCH_ID", f"stop-{tmp_path.name}"),),
        unset=(),
        tmp_root=str(tmp_path / ".tmp"),
        stop_file=str(tmp_path / "stop"),
    )
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(run_cell, spec)
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert not future.done() and time.monotonic() < deadline
            time.sleep(0.1)
        request_stop(tmp_path / "stop")
        outcome = future.result(timeout=60)
    assert outcome.status == "interrupted"
    assert outcome.error is not None and outcome.error.ename == "KeyboardInterrupt"
    assert kernels_of(f"stop-{tmp_path.name}") == []
    # A cell handed out after the stop does not start at all.
    late = run_cell(dataclasses.replace(spec, output=str(tmp_path / "late.ipynb")))
    assert late.status == "interrupted" and not (tmp_path / "late.ipynb").exists()
