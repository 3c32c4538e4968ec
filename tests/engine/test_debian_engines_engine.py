"""``kit engine up --engine 28 --store containerd``: the newest Debian engine from Debian's
packages beside the suite's engine, with the containerd image store; checked against that
engine's own ``docker info`` (through its own CLI), then stopped with nothing left behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from prereq import need_root

from kit.engine import Engine
from kit.host import engines

pytestmark = pytest.mark.engine


@pytest.mark.parametrize("store", ["containerd"])
def test_engine_28_up_and_down(store: str):
    need_root("a dockerd of the test's own")
    choice = engines.Choice("28", store)
    was_up = engines.running(choice) is not None
    up = engines.up(choice)
    try:
        cli = up.unpacked.root / "usr" / "bin" / "docker"
        env = up.environ()
        said = subprocess.run(
            [str(cli), "info", "--format", "{{.ServerVersion}} {{.Driver}} {{.DockerRootDir}}"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.split()
        assert said[0].startswith("28.")
        assert said[1] == ("overlayfs" if store == "containerd" else "overlay2")
        assert Path(said[2]).is_relative_to(up.root)
        engine = Engine.connect(timeout=30, base_url=up.docker_host)
        info = engine.info()
        engine.close()
        assert (info.version, info.storage_driver) == (said[0], said[1])
        assert info.containerd_store == (store == "containerd")
        buildx = subprocess.run(
            [str(cli), "buildx", "version"], capture_output=True, text=True, env=env
        )
        assert buildx.returncode == 0, buildx.stderr
    finally:
        if not was_up:
            assert engines.down(choice)
    if not was_up:
        assert not up.root.exists()
        mounts = Path("/proc/mounts").read_text()
        assert str(up.root) not in mounts
        assert engines.running(choice) is None
