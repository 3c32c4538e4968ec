"""kit.engine.orphans on a fake /proc: which mounts a dead engine's BuildKit builds left, and
which processes are rooted on them. Nothing is unmounted or killed here."""

from __future__ import annotations

from pathlib import Path

from fake_api import FakeAPIClient, FakeDockerClient

from kit.engine.client import Engine
from kit.engine.orphans import _rooted_on, executor_mounts, release

ROOT = "/var/lib/kit-engines/x/data"


def _line(n: int, dev: str, point: str, fstype: str = "overlay") -> str:
    return f"{n} 1 {dev} / {point} rw,relatime shared:{n} - {fstype} {fstype} rw\n"


def _proc(tmp_path: Path) -> Path:
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(
        _line(20, "254:0", "/", "ext4")
        + _line(62, "0:42", f"{ROOT}/overlay2/abc/merged")
        + _line(63, "0:42", f"{ROOT}/buildkit/executor/e1/rootfs")
        + _line(64, "0:50", f"{ROOT}/overlay2/other/merged")  # a container's: not BuildKit's
        + _line(65, "0:42", "/elsewhere/merged")  # the same filesystem outside the data root
    )
    for pid, root_dev in (("4242", "0:42"), ("4243", "254:0"), ("4244", "0:50")):
        (proc / pid).mkdir()
        (proc / pid / "mountinfo").write_text(_line(1, root_dev, "/"))
    return proc


def test_the_step_roots_of_a_dead_engine(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    assert executor_mounts(ROOT, proc) == [
        f"0:42|{ROOT}/overlay2/abc/merged",
        f"0:42|{ROOT}/buildkit/executor/e1/rootfs",
    ]
    assert executor_mounts("", proc) == []
    assert _rooted_on("0:42", proc) == [4242]  # the orphaned step process only


def test_a_mount_now_of_another_filesystem_is_left_alone(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    # Recorded as 0:41, but what is mounted there now is 0:42: another mount, not released.
    assert release(f"0:41|{ROOT}/buildkit/executor/e1/rootfs", proc) == 0
    assert release(f"0:42|{ROOT}/buildkit/executor/gone/rootfs", proc) == 0


def test_only_a_local_engines_data_root_is_looked_for(fake_api: FakeAPIClient) -> None:
    """A remote engine's data root may be a local engine's path too: never swept here."""
    remote = Engine(FakeDockerClient(fake_api), host="tcp://build-host:2375")  # type: ignore[arg-type]
    local = Engine(FakeDockerClient(fake_api), host="unix:///run/x.sock")  # type: ignore[arg-type]
    assert remote.leftovers._root_dir() == ""
    assert local.leftovers._root_dir() == local.info().root_dir != ""
