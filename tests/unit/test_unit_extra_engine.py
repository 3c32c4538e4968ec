"""kit.host.extra_engine without starting anything: the command line and where its files go."""

from __future__ import annotations

from pathlib import Path

from kit.host.dockerd import DOCKERD_ARGS
from kit.host.extra_engine import ExtraEngine, exec_root_for


def test_exec_root_stays_short_enough_for_sockets(tmp_path: Path) -> None:
    short = Path("/tmp/kit-dockerd-abc")
    assert exec_root_for(short) == short / "exec"
    deep = tmp_path / ("x" * 60) / "state" / "hub" / "engine"
    outside = exec_root_for(deep)
    assert outside == exec_root_for(deep)  # found again by attach()
    assert not outside.is_relative_to(deep)
    assert len(f"{outside}/containerd/containerd-debug.sock") < 104
    engine = ExtraEngine(deep)
    assert engine.places == (deep, outside)
    assert engine.docker_host == f"unix://{outside}/docker.sock"
    assert f"--exec-root={outside}" in engine.command()
    assert f"--data-root={deep / 'data'}" in engine.command()


def test_the_main_engines_flags_plus_the_extras() -> None:
    engine = ExtraEngine(Path("/tmp/kit-dockerd-abc"), ("--registry-mirror=http://127.0.0.1:5000",))
    command = engine.command()
    assert command[0] == "dockerd"
    assert command[1 : 1 + len(DOCKERD_ARGS)] == list(DOCKERD_ARGS)
    assert command[-1] == "--registry-mirror=http://127.0.0.1:5000"
    assert "--pidfile=/tmp/kit-dockerd-abc/dockerd.pid" in command
    assert "--host=unix:///tmp/kit-dockerd-abc/exec/docker.sock" in command
    # its own daemon.json: the host's /etc/docker/daemon.json is not this engine's
    assert "--config-file=/tmp/kit-dockerd-abc/daemon.json" in command
    assert engine.places == (Path("/tmp/kit-dockerd-abc"),)
