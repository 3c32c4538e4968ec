"""The exit codes of ``kit batch`` and ``kit report``, through the command itself: 0 when every
cell or page is ok, 1 when one failed (everything is still written), 2 for a KitError before
anything runs, 130 for Ctrl-C. No engine: tiny notebooks, papermill on "python3"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from notebook_factory import make_notebook

from kit import cli


@pytest.fixture()
def matrices(tmp_path: Path) -> Path:
    make_notebook(tmp_path / "ok.ipynb", "x = 1\n", "print(x)")
    make_notebook(tmp_path / "fails.ipynb", "x = 1\n", "raise ValueError(x)")
    (tmp_path / "ok.yml").write_text("notebooks: [ok.ipynb]\n")
    (tmp_path / "mixed.yml").write_text("notebooks: [ok.ipynb, fails.ipynb]\n")
    (tmp_path / "bad.yml").write_text(
        "notebooks:\n  - notebook: ok.ipynb\n    parameters: {y: 1}\n"
    )
    return tmp_path


def batch(matrices: Path, matrix: str, run_id: str) -> int:
    runs = matrices / "runs"
    return cli.main(
        ["batch", str(matrices / matrix), "--run-id", run_id, "--runs", str(runs), "--quiet"]
    )


def test_batch_exit_codes(matrices: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert batch(matrices, "ok.yml", "all-ok") == 0
    assert batch(matrices, "mixed.yml", "one-fails") == 1
    out = capsys.readouterr().out
    assert "batch one-fails: 1 ok, 1 failed" in out
    # The failed cell's notebook is written all the same.
    assert (matrices / "runs" / "one-fails" / "fails.ipynb").is_file()
    assert batch(matrices, "bad.yml", "refused") == 2
    err = capsys.readouterr().err
    assert "ok.ipynb has no parameter 'y'" in err
    assert not (matrices / "runs" / "refused" / "batch.json").exists()


def test_batch_ctrl_c_exits_130(matrices: Path) -> None:
    ready, block = matrices / "ready", matrices / "block"
    block.touch()
    make_notebook(
        matrices / "blocks.ipynb",
        f"ready = {str(ready)!r}\nblock = {str(block)!r}\n",
        "import os, pathlib, time\npathlib.Path(ready).touch()\n"
        "while os.path.exists(block):\n    time.sleep(0.1)\n",
    )
    (matrices / "blocks.yml").write_text("notebooks: [blocks.ipynb]\n")
    argv = ["batch", str(matrices / "blocks.yml"), "--run-id", "c", "--runs", str(matrices / "r")]
    kit = subprocess.Popen([sys.executable, "-m", "kit", *argv, "--quiet"], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert kit.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        os.killpg(kit.pid, signal.SIGINT)
        assert kit.wait(timeout=60) == 130
    finally:
        if kit.poll() is None:
            os.killpg(kit.pid, signal.SIGKILL)
    state = json.loads((matrices / "r" / "c" / "batch.json").read_text())
    assert state["cells"]["blocks"]["status"] == "interrupted"


def test_report_exit_codes(matrices: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert batch(matrices, "mixed.yml", "for-report") == 1
    assert batch(matrices, "ok.yml", "all-ok") == 0
    runs, store = matrices / "runs", matrices / "store"
    ok = cli.main(
        [
            "report",
            str(runs / "all-ok"),
            "--store",
            str(store),
            "--out",
            str(matrices / "a"),
            "--quiet",
        ]
    )
    assert ok == 0, capsys.readouterr().err
    failed = cli.main(
        [
            "report",
            str(runs / "for-report"),
            "--store",
            str(store),
            "--out",
            str(matrices / "b"),
            "--quiet",
        ]
    )
    assert failed == 1
    out = capsys.readouterr().out
    assert "failed" in out and (matrices / "b" / "index.html").is_file()
    # The failed notebook still has its page.
    page = nbformat.read(runs / "for-report" / "fails.ipynb", as_version=4)
    assert page.metadata["papermill"]["exception"]


def test_measure_exits_1_when_a_measurement_it_asked_for_failed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every variant built, but its push and pull failed (seen on Engine 28's containerd
    store, 2026-12-08): ``kit measure`` said 0 then; the failure is named and the exit is 1."""
    from types import SimpleNamespace

    from kit.cli.experiment import _status
    from kit.model.failures import Failure

    pushed = Failure("push and pull", "slim", "the registry's slim:kit is not image sha256:64")
    chosen = Failure("build", "cache-mount", "BuildKit only", expected=True)
    assert _status(SimpleNamespace(failed=(), failures=(pushed,))) == 1
    assert "failed: push and pull of slim: the registry's slim:kit" in capsys.readouterr().err
    assert _status(SimpleNamespace(failed=(), failures=(chosen,))) == 0
    assert capsys.readouterr().err == ""
    assert _status(SimpleNamespace(failed=("row",), failures=())) == 1
    assert _status(SimpleNamespace(failed=(), failures=())) == 0
