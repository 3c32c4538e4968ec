"""kit.host.dockerd without an engine: ``down`` with nothing to stop, ``up`` on a dead DOCKER_HOST.

Both tests make starting a real dockerd impossible: process creation and apt are replaced.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from kit.errors import EngineError
from kit.host import dockerd as daemon
from kit.host import lifecycle
from kit.util.pids import alive, state


@pytest.fixture()
def no_process_spawning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the unit suite must not start processes: {args!r}")

    monkeypatch.setattr(lifecycle.subprocess, "Popen", forbidden)
    monkeypatch.setattr(lifecycle.subprocess, "run", forbidden)
    monkeypatch.setattr(lifecycle, "apt_install", forbidden)
    monkeypatch.setattr(lifecycle.os, "kill", forbidden)
    state = tmp_path / "state"
    monkeypatch.setenv("KIT_STATE_DIR", str(state))
    return state


def test_state_dir_from_env(no_process_spawning: Path) -> None:
    assert daemon.state_dir() == no_process_spawning
    assert no_process_spawning.is_dir()


def test_down_without_pidfile_is_false(no_process_spawning: Path) -> None:
    assert daemon.down(wait_s=0.1) is False
    assert not (no_process_spawning / "dockerd.pid").exists()


def test_down_with_garbage_pidfile_removes_it(no_process_spawning: Path) -> None:
    no_process_spawning.mkdir(parents=True)
    pidfile = no_process_spawning / "dockerd.pid"
    pidfile.write_text("not a pid\n")
    assert daemon.down(wait_s=0.1) is False
    assert not pidfile.exists()


def test_up_with_dead_docker_host_names_it(
    no_process_spawning: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    host = f"unix://{tmp_path / 'nothing-listens.sock'}"
    monkeypatch.setenv("DOCKER_HOST", host)
    for var in ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(EngineError) as info:
        daemon.up(wait_s=0.1)
    assert info.value.message == f"DOCKER_HOST={host} does not answer"
    assert "DOCKER_HOST" in str(info.value)
    assert "unset DOCKER_HOST" in (info.value.hint or "")
    assert not (no_process_spawning / "dockerd.pid").exists()


def test_the_default_place_adds_no_flag_and_a_private_one_names_everything(
    tmp_path: Path,
) -> None:
    assert daemon.Place().args() == []
    assert daemon.Place().host == "unix:///var/run/docker.sock"
    assert daemon.Place().containerd_pidfile == Path("/var/run/docker/containerd/containerd.pid")
    own = daemon.Place(
        socket=tmp_path / "s.sock",
        pidfile=tmp_path / "d.pid",
        data_root=tmp_path / "data",
        exec_root=tmp_path / "exec",
    )
    assert own.args() == [
        "-H",
        f"unix://{tmp_path / 's.sock'}",
        "--pidfile",
        str(tmp_path / "d.pid"),
        "--data-root",
        str(tmp_path / "data"),
        "--exec-root",
        str(tmp_path / "exec"),
    ]
    assert own.containerd_pidfile == tmp_path / "exec" / "containerd" / "containerd.pid"


def test_a_zombie_is_not_alive() -> None:
    """kill(pid, 0) succeeds on a zombie; /proc says it is one (a child not yet reaped)."""
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while state(child.pid) != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(child.pid, 0)  # no error: the zombie is still there
    assert alive(child.pid) is False
    assert alive(os.getpid()) is True
    child.wait()
