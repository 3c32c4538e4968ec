"""A pid file a crashed dockerd left is stale when its process is gone, a zombie, or another
program by now (pids are reused): read from a fake /proc, never the machine's engine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kit.host import dockerd as daemon
from kit.host import lifecycle
from kit.util import pids


def fake_proc(root: Path, pid: int, comm: str, state: str) -> None:
    folder = root / str(pid)
    folder.mkdir(parents=True)
    # The name field is in parentheses and may hold spaces and parentheses itself.
    (folder / "stat").write_text(f"{pid} ({comm}) {state} 1 {pid} {pid} 0 -1 4194560 0 0 0\n")
    (folder / "comm").write_text(comm + "\n")


@pytest.mark.parametrize(
    ("comm", "state", "alive"),
    [
        ("dockerd", "S", True),
        ("dockerd", "R", True),
        ("dockerd", "Z", False),  # killed, not yet reaped: kill(pid, 0) still succeeds
        ("dockerd", "X", False),
        ("python3", "S", False),  # the pid was reused
        ("dockerd (x)", "S", False),
    ],
)
def test_running_reads_state_and_name(tmp_path: Path, comm: str, state: str, alive: bool) -> None:
    fake_proc(tmp_path, 4242, comm, state)
    assert pids.running(4242, "dockerd", tmp_path) is alive


def test_a_gone_process_is_not_running(tmp_path: Path) -> None:
    assert pids.running(4242, "dockerd", tmp_path) is False


@pytest.mark.parametrize(
    ("content", "comm", "state", "removed"),
    [
        ("4242\n", "dockerd", "S", False),
        ("4242\n", "dockerd", "Z", True),
        ("4242\n", "bash", "S", True),
        ("4243\n", "dockerd", "S", True),  # no such process
        ("garbage\n", "dockerd", "S", True),
    ],
)
def test_clear_stale_pidfile(
    tmp_path: Path, content: str, comm: str, state: str, removed: bool
) -> None:
    proc = tmp_path / "proc"
    fake_proc(proc, 4242, comm, state)
    pidfile = tmp_path / "docker.pid"
    pidfile.write_text(content)
    assert lifecycle.clear_stale_pidfile(pidfile, "dockerd", proc) is removed
    assert pidfile.exists() is not removed


def test_engine_up_after_a_crash_starts_dockerd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kit engine up`` right after ``kill -9`` of its dockerd: both pid files still name
    processes that exist (this very test's pid, so ``kill(pid, 0)`` succeeds), but /proc says one
    is a zombie dockerd and the other is not containerd: dockerd must find neither file."""
    pid = os.getpid()
    proc = tmp_path / "proc"
    fake_proc(proc, pid, "dockerd", "Z")
    system = tmp_path / "docker.pid"
    place = lifecycle.Place(pidfile=system, exec_root=tmp_path / "exec")
    containerd = place.containerd_pidfile
    containerd.parent.mkdir(parents=True)
    system.write_text(f"{pid}\n")
    containerd.write_text(f"{pid}\n")
    monkeypatch.setattr(pids, "PROC", proc)
    monkeypatch.setattr(daemon, "PLACE", place)
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(lifecycle.shutil, "which", lambda _name: "/usr/sbin/dockerd")
    monkeypatch.setattr(daemon.os, "geteuid", lambda: 0)
    started: list[list[str]] = []

    class Started:
        pid = 99999

        def __init__(self, argv: list[str], **_: Any) -> None:
            # What dockerd itself checks first: no pid file naming a live process.
            assert not system.exists(), "dockerd would refuse: pid file found"
            assert not containerd.exists(), "dockerd would wait for a dead containerd"
            started.append(argv)

        def poll(self) -> None:
            return None

    class Answering:
        def info(self) -> Any:
            return type("Info", (), {"version": "20.10.24"})()

        def close(self) -> None:
            pass

    answers = iter([None, Answering()])
    monkeypatch.setattr(lifecycle.subprocess, "Popen", Started)
    monkeypatch.setattr(daemon, "_answers", lambda: next(answers))
    status = daemon.up(wait_s=5)
    assert started and started[0][0] == "dockerd"
    assert status.started_by_kit and status.version == "20.10.24"
