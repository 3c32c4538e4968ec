"""kit batch on a real engine: after Ctrl-C kills a kernel mid-notebook, the containers it made
(labelled ``kit.batch=<run id>``) are removed, and no other container is touched."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_checks import container_exists
from notebook_factory import kernels_of, make_notebook
from prereq import unavailable

from kit.engine import BATCH_LABEL, RUN_LABEL, Engine

pytestmark = pytest.mark.engine

# Makes a container the way the kit does (the engine adds the batch label from KIT_BATCH_ID),
# then blocks with SIGINT ignored, so only killing the kernel ends it: its cleanup never runs.
BODY = """\
import pathlib, signal, time
from kit.engine import RUN_LABEL, Engine
signal.signal(signal.SIGINT, signal.SIG_IGN)
engine = Engine.connect()
made = engine.containers.create(image, labels={RUN_LABEL: run_label}, environment={},
                               network_mode="none", command=["sleep", "300"])
pathlib.Path(ready).write_text(made)
time.sleep(300)
"""


def _notebook(path: Path, parameters: str) -> None:
    make_notebook(path, parameters, BODY)


def test_ctrl_c_removes_the_containers_of_the_batch_only(
    engine: Engine, busybox: str, tmp_path: Path, no_leaks: None
) -> None:
    token = secrets.token_hex(4)
    run_id, ready = f"batch-engine-{token}", tmp_path / "ready"
    _notebook(
        tmp_path / "makes.ipynb",
        f"image = {busybox!r}\nrun_label = 'engine-test-{token}'\nready = {str(ready)!r}\n",
    )
    (tmp_path / "m.yml").write_text("notebooks: [makes.ipynb]\n")
    # Another batch's container, and one from no batch: neither may be touched.
    bystanders = [
        engine.containers.create(
            busybox,
            labels={RUN_LABEL: f"engine-test-{token}", **extra},
            environment={},
            network_mode="none",
            command=["true"],
        )
        for extra in ({BATCH_LABEL: f"other-{token}"}, {})
    ]
    code = (
        "import kit.runs.batch as b\n"
        f"b.run_batch({str(tmp_path / 'm.yml')!r}, run_id={run_id!r},"
        f" runs_dir={str(tmp_path / 'runs')!r}, quiet=True)"
    )
    batch = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert batch.poll() is None, "the batch ended before the notebook made its container"
            assert time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(0.2)  # the id is written whole before the notebook blocks
        made = ready.read_text()
        labels = engine.api.inspect_container(made)["Config"]["Labels"]
        assert labels[BATCH_LABEL] == run_id
        for _ in range(2):  # the second Ctrl-C kills the kernel: its own cleanup never runs
            os.killpg(batch.pid, signal.SIGINT)
            time.sleep(0.5)
        assert batch.wait(timeout=120) in (1, -signal.SIGINT)
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
        survivors = [c for c in bystanders if container_exists(engine, c)]
        for container in bystanders:
            engine.containers.remove(container)
    assert not container_exists(engine, made), "the interrupted batch left its container"
    assert survivors == bystanders, "the batch removed a container that was not its own"
    state = (tmp_path / "runs" / run_id / "batch.json").read_text()
    assert '"status": "interrupted"' in state


# Two cells at once, each making a container (labelled with the batch by the engine) and then
# blocking until its cell is stopped: Ctrl-C must stop both kernels wherever they run.
PARALLEL = """\
import os, pathlib, time
from kit.engine import RUN_LABEL, Engine
engine = Engine.connect()
made = engine.containers.create(image, labels={RUN_LABEL: run_label}, environment={},
                               network_mode="none", command=["sleep", "300"])
pathlib.Path(ready).write_text(made)
while True:
    time.sleep(0.1)
"""


def _ctrl_c_two_cells(
    engine: Engine, busybox: str, tmp_path: Path, run_id: str, how: list[str]
) -> tuple[int, list[str]]:
    """``kit batch <how>`` on two blocking cells in a session of its own (as a terminal runs
    it); one Ctrl-C once both made their container. Returns the exit code and the containers."""
    readies = [tmp_path / f"ready-{i}" for i in range(2)]
    for i, ready in enumerate(readies):
        make_notebook(
            tmp_path / f"cell{i}.ipynb",
            f"image = {busybox!r}\nrun_label = 'engine-test-{run_id}'\nready = {str(ready)!r}\n",
            PARALLEL,
        )
    (tmp_path / "m.yml").write_text("notebooks: [cell0.ipynb, cell1.ipynb]\n")
    argv = ["batch", str(tmp_path / "m.yml"), "--run-id", run_id, "--runs", str(tmp_path / "r")]
    batch = subprocess.Popen(
        [sys.executable, "-m", "kit", *argv, *how, "--quiet"], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 180
        while not all(r.exists() and r.read_text() for r in readies):
            assert batch.poll() is None, "the batch ended before its cells made their containers"
            assert time.monotonic() < deadline, "the cells never started"
            time.sleep(0.2)
        made = [r.read_text() for r in readies]
        assert len(kernels_of(run_id)) == 2
        os.killpg(batch.pid, signal.SIGINT)
        code = batch.wait(timeout=120)
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
    return code, made


def _after_ctrl_c(engine: Engine, tmp_path: Path, run_id: str, made: list[str]) -> None:
    deadline = time.monotonic() + 90  # a kernel gets GRACE_S to stop its cell
    while kernels_of(run_id) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert kernels_of(run_id) == [], "a kernel outlived its batch"
    for container in made:
        assert not container_exists(engine, container), "the interrupted batch left its container"
    cells = json.loads((tmp_path / "r" / run_id / "batch.json").read_text())["cells"]
    assert {c["status"] for c in cells.values()} == {"interrupted"}


def test_ctrl_c_with_two_workers_stops_both_cells(
    engine: Engine, busybox: str, tmp_path: Path, no_leaks: None
) -> None:
    run_id = f"workers-{secrets.token_hex(4)}"
    code, made = _ctrl_c_two_cells(engine, busybox, tmp_path, run_id, ["--workers", "2"])
    assert code == 130
    _after_ctrl_c(engine, tmp_path, run_id, made)


def test_ctrl_c_on_a_dask_cluster_stops_both_cells(
    engine: Engine, busybox: str, tmp_path: Path, no_leaks: None
) -> None:
    try:
        from distributed import LocalCluster
    except ImportError as exc:
        unavailable(f"dask.distributed is not installed: {exc}")
    run_id = f"dask-{secrets.token_hex(4)}"
    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        code, made = _ctrl_c_two_cells(
            engine, busybox, tmp_path, run_id, ["--dask", cluster.scheduler_address]
        )
        assert code == 130
        # The workers run on, outside the batch's session: only the batch can stop its cells.
        _after_ctrl_c(engine, tmp_path, run_id, made)
