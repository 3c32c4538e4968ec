"""Commands that act on a whole engine, on a throwaway dockerd this module starts with the kit's
own ``kit engine up`` (its own socket, pid file, data and exec roots under a temp dir; never the
machine's engine, nor the suite's): ``kit clean`` (only the kit's tags and containers, never
while a batch uses the engine unless forced) and ``kit engine up`` from a stopped or killed
engine. The throwaway engine gets kitbase/busybox:1 from the suite's engine (docker save/load).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker.errors
import pytest
from engine_checks import container_exists
from notebook_factory import make_notebook
from prereq import need_root, unavailable

from kit import cli
from kit.engine import RUN_LABEL, Engine
from kit.errors import EngineError
from kit.host import dockerd as daemon
from kit.host.bases import by_ref, ensure_bases
from kit.host.lifecycle import Dockerd, Place
from kit.util.pids import alive

pytestmark = pytest.mark.engine
BUSYBOX = "kitbase/busybox:1"


@dataclass(frozen=True)
class Spare:
    root: Path  # the kit's state dir for it is root/state
    busybox_tar: bytes  # `docker save` of kitbase/busybox:1, to load it again


@pytest.fixture(scope="module")
def spare(engine: Engine, busybox: str) -> Iterator[Spare]:
    """A throwaway dockerd started by ``daemon.up()``; DOCKER_HOST and KIT_STATE_DIR point at it
    for the module."""
    need_root("a dockerd of the test's own")
    if shutil.which("dockerd") is None:
        unavailable("dockerd is not installed (make test installs docker.io)")
    # Short: containerd's socket under the exec root must fit a unix socket path.
    root = Path(tempfile.mkdtemp(prefix="kit-spare-", dir="/tmp"))
    place = Place(
        socket=root / "docker.sock",
        pidfile=root / "dockerd.pid",
        data_root=root / "data",
        exec_root=root / "exec",
    )
    saved = b"".join(engine.images.save(busybox))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(daemon, "PLACE", place)
        patch.setenv("DOCKER_HOST", place.host)
        patch.setenv("KIT_STATE_DIR", str(root / "state"))
        try:
            status = daemon.up()
            assert status.started_by_kit, status
            spare_engine = Engine.connect()
            spare_engine.api.load_image(saved)
            spare_engine.close()
            yield Spare(root, saved)
        finally:
            with contextlib.suppress(Exception):
                daemon.down()
            # Whatever down left (a dockerd the test killed, its containerd, their mounts).
            Dockerd(place, root / "state" / "dockerd.log", owns=(root,)).stop()
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def on_spare(spare: Spare, engine: Engine) -> Iterator[Engine]:
    connected = Engine.connect()
    # Not the daemon's id: every dockerd of a host shares /etc/docker/key.json, so its id too.
    assert connected.api.info()["DockerRootDir"] == str(spare.root / "data")
    if connected.images.inspect(BUSYBOX) is None:
        connected.api.load_image(spare.busybox_tar)
    yield connected
    connected.close()


def _build(engine: Engine, context: Path, tag: str, text: str) -> str:
    context.mkdir(parents=True, exist_ok=True)
    (context / "Dockerfile").write_text(text)
    built = engine.builds.build(
        str(context), "Dockerfile", tag=tag, buildargs={}, labels={}, nocache=True
    )
    assert built.image_id, built.log_tail
    return built.image_id


def _image(engine: Engine, ref: str) -> dict[str, object] | None:
    try:
        found: dict[str, object] = engine.api.inspect_image(ref)
    except docker.errors.ImageNotFound:
        return None
    return found


def test_clean_removes_only_the_kits_tags_and_says_what(
    on_spare: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = on_spare
    before = engine.images.ids()
    shared = _build(
        engine, tmp_path / "a", "kitexp/clean:a-local", f"FROM {BUSYBOX}\nRUN echo a > /a\n"
    )
    engine.images.tag(shared, "mine/kept", "1")  # the user's own name for the same image
    alone = _build(
        engine,
        tmp_path / "b",
        "kitexp/clean:b-local",
        f'FROM {BUSYBOX}\nRUN echo b > /b\nCMD ["true"]\n',
    )
    used = _build(
        engine, tmp_path / "c", "kitexp/clean:c-local", f"FROM {BUSYBOX}\nRUN echo c > /c\n"
    )
    users = engine.api.create_container("kitexp/clean:c-local", command=["true"])["Id"]
    theirs = engine.api.create_container(BUSYBOX, command=["true"])["Id"]
    kits = engine.containers.create(
        BUSYBOX,
        labels={RUN_LABEL: "clean-test"},
        environment={},
        network_mode="none",
        command=["sleep", "60"],
    )
    engine.containers.start(kits)
    try:
        assert cli.main(["clean", "--images"]) == 0
        out = capsys.readouterr().out
    finally:
        engine.api.remove_container(users, force=True)
        engine.api.remove_container(theirs, force=True)
        for ref in ("mine/kept:1", "kitexp/clean:c-local"):
            engine.images.remove(ref, force=True)
    short = {i: i.removeprefix("sha256:")[:12] for i in (shared, alone, used)}
    assert (
        f"untagged kitexp/clean:a-local (image {short[shared]} kept: also tagged mine/kept:1)"
        in out
    )
    assert f"removed image {short[alone]} (kitexp/clean:b-local)" in out
    assert f"kept kitexp/clean:c-local (image {short[used]} kept: " in out
    assert f"removed container {kits[:12]} (run clean-test)" in out
    assert "removed 1 container(s), 1 image(s); untagged 1 tag(s)" in out
    assert not container_exists(engine, kits)
    assert _image(engine, BUSYBOX) is not None, "--images never touches the bases"
    # What the build left (a step image under b) went with the images: nothing is left over.
    assert engine.images.ids() <= before


BLOCKS = """\
import os, pathlib, time
pathlib.Path(ready).touch()
while os.path.exists(block):
    time.sleep(0.1)
"""


def test_clean_refuses_while_a_batch_uses_the_engine_unless_forced(
    on_spare: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = on_spare
    ready, block = tmp_path / "ready", tmp_path / "block"
    block.touch()
    make_notebook(
        tmp_path / "blocks.ipynb", f"ready = {str(ready)!r}\nblock = {str(block)!r}\n", BLOCKS
    )
    (tmp_path / "m.yml").write_text("notebooks: [blocks.ipynb]\n")
    kits = engine.containers.create(
        BUSYBOX, labels={RUN_LABEL: "clean-busy"}, environment={}, network_mode="none"
    )
    argv = ["batch", str(tmp_path / "m.yml"), "--run-id", "busy", "--runs", str(tmp_path / "r")]
    batch = subprocess.Popen([sys.executable, "-m", "kit", *argv, "--quiet"])
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert batch.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        assert cli.main(["clean"]) == 2
        err = capsys.readouterr().err
        assert "kit clean refuses: the engine is in use by" in err
        assert f"pid {batch.pid} " in err and "kit batch busy" in err
        assert container_exists(engine, kits), "refused, yet something was removed"
        assert cli.main(["clean", "--force"]) == 0
        assert f"removed container {kits[:12]} (run clean-busy)" in capsys.readouterr().out
        assert not container_exists(engine, kits)
    finally:
        block.unlink()
        code = batch.wait(timeout=120)
        if engine.containers.kit_containers():
            engine.containers.remove(kits)
    assert code == 0
    # The batch is over: nothing holds the engine, and clean goes ahead without --force.
    assert cli.main(["clean"]) == 0
    capsys.readouterr()


def test_clean_with_bases_keeps_a_users_image_built_on_them(
    on_spare: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read from the engine itself: the user's image, its tag and its container outlive
    ``kit clean --images --bases``; busybox loses only the kit's tag."""
    engine = on_spare
    image = _build(
        engine, tmp_path / "u", "kitexp/clean:u-local", f"FROM {BUSYBOX}\nRUN echo u > /u\n"
    )
    engine.images.tag(image, "mine/app", "2")
    theirs = engine.api.create_container("mine/app:2", command=["true"])["Id"]
    try:
        assert cli.main(["clean", "--images", "--bases"]) == 0
        out = capsys.readouterr().out
        after = _image(engine, "mine/app:2")
        assert after is not None and after["Id"] == image
        assert after["RepoTags"] == ["mine/app:2"]
        assert container_exists(engine, theirs)
        assert _image(engine, BUSYBOX) is None
        assert "untagged kitbase/busybox:1 (image " in out
    finally:
        engine.api.remove_container(theirs, force=True)
        engine.images.remove("mine/app:2", force=True)


def _import(engine: Engine, folder: Path, ref: str) -> None:
    """``docker import`` of a folder, streamed through a pipe as ``kit bases`` does it."""
    tar = subprocess.Popen(["tar", "-C", str(folder), "-c", "."], stdout=subprocess.PIPE)
    assert tar.stdout is not None
    try:
        engine.images.import_rootfs(tar.stdout, ref, changes=[])
    finally:
        tar.stdout.close()
        tar.wait()


def test_an_outdated_base_is_rebuilt_and_the_old_image_removed(
    on_spare: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kit bases`` on bases whose recipe changed: rebuilt, and the image it replaces removed
    (unless an image still builds on it). A busybox base of the test's own, on a stand-in
    kitbase/debian:12 imported from a tar: nothing is downloaded."""
    engine = on_spare
    monkeypatch.setenv("KIT_DOCKERFILES", str(tmp_path / "dockerfiles"))
    monkeypatch.setenv("KIT_HOST_CA", "0")
    (tmp_path / "dockerfiles" / "bases").mkdir(parents=True)
    dockerfile = tmp_path / "dockerfiles" / "bases" / "busybox-1.Dockerfile"
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "v").write_text("root\n")
    _import(engine, tmp_path / "root", "kitbase/debian:12")
    spec = by_ref(BUSYBOX)

    def version(n: int) -> str:
        dockerfile.write_text(
            "ARG DEBIAN=kitbase/debian:12\nFROM ${DEBIAN} AS get\n"
            f'FROM scratch\nCOPY --from=get /v /v{n}\nCMD ["/v{n}"]\n'
        )
        [outcome] = ensure_bases(engine, only=(BUSYBOX,))
        made = engine.api.inspect_image(BUSYBOX)
        assert made["Config"]["Labels"]["kit.recipe"] == spec.recipe()
        return str(outcome.action), str(made["Id"])

    loaded = engine.api.inspect_image(BUSYBOX)["Id"]  # the suite's busybox: another recipe
    action, first = version(1)
    assert action == "built" and first != loaded
    assert _image(engine, loaded) is None, "the outdated base was not removed"
    assert version(1) == ("present", first)
    action, second = version(2)
    assert action == "built" and _image(engine, first) is None
    # An image built on the base keeps it alive: rebuilt, the old one stays as its parent.
    child = _build(engine, tmp_path / "child", "kitexp/bases:child", f"FROM {BUSYBOX}\n")
    try:
        action, third = version(3)
        assert action == "built" and third != second
        kept = _image(engine, second)
        assert kept is not None and kept["RepoTags"] == []
    finally:
        engine.images.remove("kitexp/bases:child", force=True)
    assert child
    engine.images.remove("kitbase/debian:12", force=True)


def test_engine_up_from_a_stopped_and_from_a_killed_engine(
    spare: Spare, capsys: pytest.CaptureFixture[str]
) -> None:
    """``kit engine down`` then ``up``; then a dockerd killed with SIGKILL (its pid file left
    behind, the process a zombie until reaped) and ``up`` again."""
    assert cli.main(["engine", "down"]) == 0
    assert "stopped the dockerd kit started" in capsys.readouterr().out
    with pytest.raises(EngineError):
        Engine.connect(timeout=5)
    assert cli.main(["engine", "up"]) == 0
    assert "started by kit (pid " in capsys.readouterr().out
    Engine.connect(timeout=30).close()

    pid = int((spare.root / "state" / "dockerd.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while alive(pid):
        assert time.monotonic() < deadline, "dockerd survived SIGKILL"
        time.sleep(0.1)
    assert daemon.PLACE.pidfile.exists(), "a killed dockerd leaves its pid file"
    assert cli.main(["engine", "up"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "started by kit (pid " in out and f"(pid {pid}," not in out
    again = Engine.connect(timeout=30)
    try:
        assert cli.main(["engine", "status"]) == 0
        assert "overlay2" in capsys.readouterr().out
    finally:
        again.close()
