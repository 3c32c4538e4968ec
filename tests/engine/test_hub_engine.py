"""The Hub stand-in end to end: the local registry seeded with the embedded bases under the
official repository names, an extra dockerd with ``--registry-mirror`` pointing at it, and on
that engine the ``hub`` path as on a connected machine — ``auto`` resolves to ``hub``, ``FROM
node:18-slim`` is pulled by digest through the mirror, a bundled app builds with the hub profile.

Expected values come from outside the code under test: the registry's own manifest (HTTP), the
source engine's inspect of the base, the stand-in engine's inspect of what it pulled, /proc.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prereq import need_image, unavailable

from kit.config import dockerfiles_dir
from kit.engine import Engine
from kit.errors import KitError
from kit.host import hub
from kit.host.extra_engine import ExtraEngine, extra_engine
from kit.host.procs import mounts_under, processes_using
from kit.inputs import profiles
from kit.pipeline.experiment import run_experiment

SERVED = ("node:18-slim",)


@pytest.fixture(scope="module")
def standin(engine: Engine) -> Iterator[tuple[hub.HubStandIn, Engine, int]]:
    """One stand-in for the module: (the stand-in, a connection to its engine, its image count
    right after it started)."""
    need_image(engine, "kitbase/node:18-slim")
    need_image(engine, "kitbase/busybox:1")
    if os.geteuid() != 0:
        unavailable("the Hub stand-in starts an extra dockerd: root only")
    try:
        context = hub.hub_standin(engine, SERVED)
        stand_in = context.__enter__()
    except KitError as exc:
        unavailable(f"no Hub stand-in here: {exc}")
    try:
        connected = stand_in.connect()
        fresh = len(connected.api.images(all=True))
        yield stand_in, connected, fresh
        connected.close()
    finally:
        context.__exit__(None, None, None)
    assert_gone(stand_in.engine)


def assert_gone(engine: ExtraEngine) -> None:
    """No directory, mount or process of the engine left (read from /proc, not the kit)."""
    for place in engine.places:
        assert not place.exists(), place
        assert not mounts_under(place), place
        assert not processes_using(place), place


def test_seeded_under_the_official_names(
    engine: Engine, standin: tuple[hub.HubStandIn, Engine, int]
) -> None:
    stand_in, _, _ = standin
    assert {s.name for s in stand_in.seeded} == {"node:18-slim", hub.PROBE}
    for seeded in stand_in.seeded:
        repository, tag = hub.mirror_path(seeded.name)
        assert repository.startswith("library/")
        manifest = stand_in.registry.manifest(repository, tag)
        assert manifest.digest == seeded.digest
        # The config blob is the image: its digest is the base's id on the source engine.
        assert manifest.config.digest == engine.api.inspect_image(seeded.base)["Id"]
        assert seeded.compressed_bytes == manifest.total_bytes > 0


def test_an_engine_of_its_own_that_mirrors_the_hub(
    engine: Engine, standin: tuple[hub.HubStandIn, Engine, int]
) -> None:
    stand_in, connected, fresh = standin
    assert fresh == 0, "the stand-in engine starts empty, like a fresh host"
    info = connected.api.info()
    assert info["ID"] != engine.api.info()["ID"]
    assert info["RegistryConfig"]["Mirrors"] == [f"{stand_in.registry.url}/"]
    assert info["DockerRootDir"] == str(stand_in.engine.root / "data")


def test_auto_resolves_to_hub_on_the_stand_in(standin: tuple[hub.HubStandIn, Engine, int]) -> None:
    _, connected, _ = standin
    assert connected.transfers.hub_answers()
    assert profiles.resolve("auto", connected) == "hub"


def test_from_node_18_slim_is_pulled_by_digest(
    engine: Engine, standin: tuple[hub.HubStandIn, Engine, int]
) -> None:
    stand_in, connected, _ = standin
    [seeded] = [s for s in stand_in.seeded if s.name == "node:18-slim"]
    pulled = hub.pull(connected, "node:18-slim")
    assert pulled.digest == seeded.digest
    assert pulled.seconds > 0
    there = connected.api.inspect_image("node:18-slim")
    assert f"node@{seeded.digest}" in there["RepoDigests"]
    source = engine.api.inspect_image("kitbase/node:18-slim")
    assert there["Id"] == source["Id"]
    assert there["RootFS"]["Layers"] == source["RootFS"]["Layers"]


def test_a_bundled_app_builds_with_the_hub_profile(
    standin: tuple[hub.HubStandIn, Engine, int],
) -> None:
    """node-server's slim variant says ``FROM ${NODE_SLIM}``; under hub that is node:18-slim,
    which only the mirror can provide on this machine."""
    _, connected, _ = standin
    results = run_experiment(
        dockerfiles_dir() / "node-server",
        profile="auto",
        variants=("slim",),
        trials=1,
        warmups=0,
        floor=False,
        engine=connected,
        progress=False,
    )
    assert results.run.profile == "hub"
    [row] = results.image_rows
    assert row.status == "ok", f"{row.error_type}: {row.error}\n{row.log_tail}"
    assert row.start_n == 1
    image = connected.api.inspect_image(row.tag)
    base = connected.api.inspect_image("node:18-slim")
    assert image["RootFS"]["Layers"][: len(base["RootFS"]["Layers"])] == base["RootFS"]["Layers"]


def test_an_interrupted_block_leaves_nothing(engine: Engine, busybox: str) -> None:
    """Ctrl-C inside the block, with a container running: dockerd, containerd, the shim, the
    mounts and the directory all go."""
    if os.geteuid() != 0:
        unavailable("an extra dockerd: root only")
    with pytest.raises(KeyboardInterrupt), extra_engine() as extra:
        _run_sleeper(engine, extra.connect())
        assert extra.mounts(), "a running container has its overlay mounted"
        raise KeyboardInterrupt
    assert_gone(extra)


def test_a_killed_dockerd_is_cleaned_up_too(engine: Engine, busybox: str) -> None:
    """SIGKILL leaves containerd, a shim and mounts behind; stop() still removes them all."""
    if os.geteuid() != 0:
        unavailable("an extra dockerd: root only")
    with extra_engine() as extra:
        _run_sleeper(engine, extra.connect())
        pid = extra.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while extra.pid is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [p for place in extra.places for p in processes_using(place)]
        assert left, "the container's shim outlives a killed dockerd"
        assert extra.mounts()
    assert_gone(extra)


def _run_sleeper(source: Engine, connected: Engine) -> None:
    """A container that keeps running, from busybox carried over from the source engine (the
    extra engine starts empty)."""
    saved = b"".join(source.images.save("kitbase/busybox:1"))
    api = connected.api
    api.load_image(saved)
    container = api.create_container(
        "kitbase/busybox:1",
        command=["sleep", "300"],
        host_config=api.create_host_config(network_mode="none"),
    )
    api.start(container)
    connected.close()


def test_kept_up_between_commands(
    engine: Engine, busybox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kit engine up --hub`` / ``down --hub``: the stand-in outlives the call that started it,
    is found again from the state directory, and goes entirely."""
    if os.geteuid() != 0:
        unavailable("the Hub stand-in starts an extra dockerd: root only")
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    assert hub.running() is None
    seeded: list[hub.Seeded] = []
    up = hub.start(engine, [hub.PROBE], seeded.append)
    home = tmp_path / "state" / "hub"
    extra = ExtraEngine.attach(home / "engine")
    try:
        assert [s.name for s in seeded] == [hub.PROBE]
        assert hub.running() == up
        assert up.docker_host == extra.docker_host
        with pytest.raises(KitError, match="already up"):
            hub.start(engine, [hub.PROBE])
        connected = Engine.connect(base_url=up.docker_host)
        try:
            assert profiles.resolve("auto", connected) == "hub"
        finally:
            connected.close()
        assert processes_using(home)  # dockerd, containerd and the registry
    finally:
        assert hub.stop()
    assert hub.running() is None
    assert not home.exists()
    assert not processes_using(home)  # the registry too
    assert_gone(extra)
    assert hub.stop() is False
