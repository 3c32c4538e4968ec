"""Ctrl-C during a build (``kit measure``) and during a batch (``kit batch``): exit code 130 and
a message saying so, what the kit made removed, the store as it was, and the same command run
again finishes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import app_dir
from fourway import Exited, FourWay, copy_app
from notebook_factory import make_notebook

from kit import cli
from kit.engine import BATCH_LABEL, Engine
from kit.engine.buildlog import step_output
from kit.measure import build as build_module

MARKER = "KIT-SLOW-STEP"


@pytest.mark.parametrize("builder", ["buildkit", "classic"])
def test_ctrl_c_during_a_build(
    builder: str,
    engine: Engine,
    store: Path,
    fourway: FourWay,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slow = copy_app(app_dir("flt-slow"), tmp_path / "fault", '[profiles.local.args]\nNAP = "60"\n')
    real = build_module.watch_build
    seen: list[str] = []

    def interrupted(on_line: Callable[[str], None] | None) -> Callable[[str], None]:
        inner = real(on_line)

        def line(text: str) -> None:
            inner(text)
            # The slow RUN step printed its marker, so it is running: Ctrl-C. BuildKit prefixes
            # a step's output (``#6 0.1 KIT-SLOW-STEP``) and names the marker in the step's
            # own line too; the step's output is what is compared, under either builder.
            if step_output(text) == MARKER:
                seen.append(text)
                raise KeyboardInterrupt

        return line

    monkeypatch.setattr(build_module, "watch_build", interrupted)
    argv = ["measure", "--profile", "local", "--trials", "1", "--store", str(store), "--quiet"]
    argv += ["--builder", builder]
    code = cli.main([*argv, str(slow)])
    said = capsys.readouterr().err
    monkeypatch.setattr(build_module, "watch_build", real)
    assert seen, "the build never reached its slow step"
    fast = copy_app(app_dir("flt-slow"), tmp_path / "rerun")
    fourway.check(
        Exited(code, 130, said, ["interrupted", "what the kit created was removed"]),
        lambda: cli.main([*argv, str(fast)]),
    )


def _batch(matrix: Path, run_id: str, runs: Path, store: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "kit", "batch", str(matrix), "--run-id", run_id]
    return subprocess.Popen(
        [*argv, "--runs", str(runs), "--store", str(store), "--quiet"],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def measuring_notebook(folder: Path, app: Path, gate: Path | None = None) -> Path:
    """A notebook measuring ``app`` into the batch's store (once ``gate``, if given, is gone);
    the matrix running it."""
    wait = (
        f"import os, time\nwhile os.path.exists({str(gate)!r}):\n    time.sleep(0.1)\n"
        if gate is not None
        else ""
    )
    make_notebook(
        folder / "measure.ipynb",
        "store = ''\n",
        wait + "import kit\n"
        f"kit.run_experiment({str(app)!r}, profile='local', trials=1, warmups=0, floor=False,"
        " store=store, progress=False)\n",
    )
    matrix = folder / "matrix.yml"
    matrix.write_text("timeout_s: 600\nnotebooks: [measure.ipynb]\n")
    return matrix


def test_ctrl_c_during_a_batch(
    engine: Engine, store: Path, fourway: FourWay, tmp_path: Path
) -> None:
    matrix = measuring_notebook(tmp_path / "nb", app_dir("flt-trial"))
    run_id, runs = "fault-ctrl-c", tmp_path / "runs"
    batch = _batch(matrix, run_id, runs, store)
    try:
        deadline = time.monotonic() + 180
        while not engine.api.containers(filters={"label": f"{BATCH_LABEL}={run_id}"}):
            assert batch.poll() is None, batch.stdout.read() if batch.stdout else ""
            assert time.monotonic() < deadline, "the batch never started a container"
            time.sleep(0.1)
        os.killpg(batch.pid, signal.SIGINT)
        code = batch.wait(timeout=180)
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
            batch.wait()
    said = batch.stdout.read().decode() if batch.stdout else ""
    state = json.loads((runs / run_id / "batch.json").read_text())
    assert [c["status"] for c in state["cells"].values()] == ["interrupted"], state
    assert not list((runs / run_id / ".tmp").glob("*")), "the kernel's temp dir is left"

    def rerun() -> int:
        again = _batch(matrix, run_id, runs, store)
        out = again.communicate(timeout=600)[0].decode()
        assert again.returncode == 0, out
        done = json.loads((runs / run_id / "batch.json").read_text())
        assert [c["status"] for c in done["cells"].values()] == ["ok"], done
        return again.returncode

    fourway.check(Exited(code, 130, said, ["interrupted"]), rerun)
