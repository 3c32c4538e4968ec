"""kit.host.dockerd without an engine: ``down`` with nothing to stop, ``up`` on a dead DOCKER_HOST.

Both tests make starting a real dockerd impossible: process creation and apt are replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kit.errors import EngineError
from kit.host import dockerd as daemon


@pytest.fixture()
def no_process_spawning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the unit suite must not start processes: {args!r}")

    monkeypatch.setattr(daemon.subprocess, "Popen", forbidden)
    monkeypatch.setattr(daemon.subprocess, "run", forbidden)
    monkeypatch.setattr(daemon, "apt_install", forbidden)
    monkeypatch.setattr(daemon.os, "kill", forbidden)
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
