"""Push, pull, rebuild and capacity against a real dockerd and a real registry on 127.0.0.1.

Every image here is built by the test (``kitexp/eng-dist:*``, on ``kitbase/busybox:1``) and
removed by the suite's autouse fixture; the registry, its storage and its temp dir go when its
``with`` block ends.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Check
from prereq import need_registry

from kit.engine import Engine
from kit.host.registry import Registry, local_registry
from kit.inputs.app import load_app
from kit.measure.capacity import from_layers, measure_capacity
from kit.measure.rebuild import measure_rebuild
from kit.measure.transfer import push_pull
from kit.measure.transfer.push_pull import measure_distribution
from kit.util.pids import alive

pytestmark = pytest.mark.engine
REPO = "kitexp/eng-dist"


@pytest.fixture()
def registry() -> Iterator[Registry]:
    need_registry()
    with local_registry() as running:
        yield running


@pytest.fixture()
def build_image(engine: Engine, busybox: str, tmp_path: Path) -> Callable[[str, str], str]:
    """Build ``kitexp/eng-dist:<tag>`` from a one-RUN Dockerfile on busybox; return its id."""

    def build(tag: str, run: str) -> str:
        context = tmp_path / tag
        context.mkdir()
        (context / "Dockerfile").write_text(f'FROM {busybox}\nRUN {run}\nCMD ["true"]\n')
        stream = engine.builds.build(
            str(context), "Dockerfile", tag=f"{REPO}:{tag}", buildargs={}, labels={}, nocache=True
        )
        assert stream.image_id is not None, stream.log_tail
        return stream.image_id

    return build


def test_push_and_pull_cold_and_warm(
    engine: Engine, registry: Registry, build_image: Callable[[str, str], str], no_leaks: None
) -> None:
    ids = {
        "a": build_image("a", "head -c 300000 /dev/urandom > /a.bin"),
        "b": build_image("b", "head -c 200000 /dev/urandom > /b.bin"),
    }
    samples = measure_distribution(
        engine, [("a", f"{REPO}:a"), ("b", f"{REPO}:b")], trials=2, registry=registry
    )
    assert [s.status for s in samples] == ["ok"] * 8, samples
    registry.empty()
    for variant in ("a", "b"):
        cold = [s for s in samples if s.variant == variant and s.mode == "cold"]
        warm = [s for s in samples if s.variant == variant and s.mode == "warm"]
        assert [s.trial for s in cold] == [0, 1] and [s.trial for s in warm] == [0, 1]
        # Cold pushes the whole image compressed; warm skips the busybox layers the sibling
        # pushed; random bytes do not compress, so the app layer is about its file's size.
        assert cold[0].pushed_bytes == cold[1].pushed_bytes
        assert warm[0].pushed_bytes == warm[1].pushed_bytes
        payload = 300_000 if variant == "a" else 200_000
        assert cold[0].pushed_bytes is not None and warm[0].pushed_bytes is not None
        assert payload < warm[0].pushed_bytes < payload + 10_000
        # busybox's two layers are 1.07 MB gzip: exactly what warm does not send again.
        assert 1_000_000 < cold[0].pushed_bytes - warm[0].pushed_bytes < 1_100_000
        # The pull downloads the app layer and config only: busybox stays on the engine.
        assert all(s.pulled_bytes == warm[0].pushed_bytes for s in cold + warm)
        assert all(s.push_s and s.push_s > 0 and s.pull_s and s.pull_s > 0 for s in samples)
        image = engine.api.inspect_image(f"{REPO}:{variant}")
        assert image["Id"] == ids[variant]
        assert image["RepoTags"] == [f"{REPO}:{variant}"]
        assert not [d for d in image.get("RepoDigests") or [] if d.startswith("127.0.0.1")]


def test_once_the_pushes_settle_the_trials_left_only_pull(
    engine: Engine,
    registry: Registry,
    build_image: Callable[[str, str], str],
    no_leaks: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image_id = build_image("a", "head -c 300000 /dev/urandom > /a.bin")
    # Settling by the timings themselves is left to chance here; decided by the count instead:
    # the pushes settle after one, the trials as a whole never do.
    monkeypatch.setattr(push_pull, "push_settled", lambda done, planned: len(done) >= 1)
    monkeypatch.setattr(push_pull, "trials_settled", lambda done, planned: False)
    samples = measure_distribution(engine, [("a", f"{REPO}:a")], trials=3, registry=registry)
    cold = [s for s in samples if s.mode == "cold"]
    assert [(s.trial, s.status) for s in cold] == [(0, "ok"), (1, "ok"), (2, "ok")], samples
    pushed, *pulls = cold
    assert pushed.push_s and pushed.push_s > 0 and pushed.pushed_bytes
    assert all(s.push_s is None and s.pushed_bytes is None for s in pulls)
    # Each pull-only trial really pulled: what the registry's manifest says the engine lacked
    # once the image was removed (its app layer and config; busybox's layers stayed).
    manifest = registry.manifest("a", "kit")
    app_layer = manifest.layers[-1].size + manifest.config.size
    assert all(s.pull_s and s.pull_s > 0 and s.pulled_bytes == app_layer for s in cold)
    image = engine.api.inspect_image(f"{REPO}:a")
    assert image["Id"] == image_id and image["RepoTags"] == [f"{REPO}:a"]


def test_registry_killed_mid_push_fails_the_trial(
    engine: Engine, registry: Registry, build_image: Callable[[str, str], str], no_leaks: None
) -> None:
    image_id = build_image("big", "head -c 150000000 /dev/urandom > /big.bin")
    assert registry.storage is not None
    uploads = registry.storage / "docker/registry/v2/repositories"
    pid = registry.pid
    killed = threading.Event()

    def kill_when_uploading() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(p.name == "_uploads" and any(p.iterdir()) for p in uploads.rglob("_uploads")):
                registry.kill()
                killed.set()
                return
            time.sleep(0.01)

    # measure_distribution empties (restarts) the registry first; watch the new process.
    original_empty = registry.empty

    def empty_then_watch() -> None:
        original_empty()
        threading.Thread(target=kill_when_uploading, daemon=True).start()

    registry.empty = empty_then_watch  # type: ignore[method-assign]
    samples = measure_distribution(engine, [("big", f"{REPO}:big")], trials=2, registry=registry)
    assert killed.is_set(), "the push ended before the registry could be killed"
    assert pid is not None and not alive(pid)
    cold = [s for s in samples if s.mode == "cold"]
    assert len(cold) == 1, "the first failure ends the image's trials"
    failed = cold[0]
    assert failed.status == "failed" and failed.error and "registry" in failed.error
    assert (failed.push_s, failed.pull_s, failed.pushed_bytes, failed.pulled_bytes) == (None,) * 4
    restored = engine.api.inspect_image(f"{REPO}:big")
    assert restored["Id"] == image_id
    assert restored["RepoTags"] == [f"{REPO}:big"]


def test_port_in_use_picks_another() -> None:
    need_registry()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        busy = held.getsockname()[1]
        with local_registry(port=busy) as running:
            assert running.host != f"127.0.0.1:{busy}" and running.answers()


def test_every_exit_path_stops_and_wipes() -> None:
    need_registry()
    with pytest.raises(KeyboardInterrupt), local_registry() as running:
        pid, storage = running.pid, running.storage
        assert running.answers() and storage is not None and storage.is_dir()
        raise KeyboardInterrupt
    assert pid is not None and not alive(pid)
    assert storage is not None and not storage.parent.exists()


def test_copy_first_rebuilds_more_steps(
    engine: Engine, busybox: str, builder: str, no_leaks: None
) -> None:
    app = load_app(Check.app_dir("eng-rebuild"))
    digest = _tree_digest(app.directory)
    before = engine.images.ids()
    results = {
        v.name: measure_rebuild(engine, app, v, "local", builder=builder) for v in app.variants
    }
    for result in results.values():
        assert result.status == "ok", result.error
        assert result.edited_file == "app.py" and result.rebuild_s and result.rebuild_s > 0
    # Read off the Dockerfiles: deps-first re-runs COPY . . (and CMD, which the classic builder
    # counts as a step of its own); copy-first also re-runs the install RUN.
    classic = builder == "classic"
    assert results["deps-first"].steps_rebuilt == (2 if classic else 1)
    assert results["copy-first"].steps_rebuilt == (3 if classic else 2)
    assert _tree_digest(app.directory) == digest, "the user's files were touched"
    assert engine.images.ids() <= before, "rebuild images left behind"


def test_capacity_of_two_images_on_one_base(
    engine: Engine, build_image: Callable[[str, str], str], no_leaks: None
) -> None:
    build_image("c1", "head -c 100000 /dev/urandom > /c1.bin")
    build_image("c2", "head -c 50000 /dev/urandom > /c2.bin")
    result = measure_capacity(engine, "eng-dist", [("c1", f"{REPO}:c1"), ("c2", f"{REPO}:c2")])
    c1, c2 = result.rows
    base = engine.api.inspect_image("kitbase/busybox:1")
    assert c1.shared_bytes == c2.shared_bytes == base["Size"]
    assert (c1.unique_bytes, c2.unique_bytes) == (100000, 50000)
    assert result.separate_bytes == c1.size_bytes + c2.size_bytes
    assert result.together_bytes == base["Size"] + 150000
    assert c1.fit_shared is not None and c1.fit_shared > c1.fit_separate


def test_capacity_from_the_layers_is_what_system_df_says_on_overlay2(
    engine: Engine, build_image: Callable[[str, str], str], no_leaks: None
) -> None:
    """The containerd store's way (each layer's unpacked bytes, shared by chain) on overlay2,
    where the engine's own ``docker system df`` is there to check it against."""
    build_image("c1", "head -c 100000 /dev/urandom > /c1.bin")
    build_image("c2", "head -c 50000 /dev/urandom > /c2.bin")
    images = [("c1", f"{REPO}:c1"), ("c2", f"{REPO}:c2")]
    by_df = measure_capacity(engine, "eng-dist", images)
    measured = []
    for variant, ref in images:
        inspected = engine.images.inspect(ref)
        assert inspected is not None
        measured.append((variant, inspected))
    listed = [u.id for u in engine.images.disk_usage().images]
    by_layers = from_layers(engine, "eng-dist", measured, listed)
    assert by_layers.rows == by_df.rows
    assert by_layers.together_bytes == by_df.together_bytes
    base = engine.api.inspect_image("kitbase/busybox:1")
    assert [r.shared_bytes for r in by_layers.rows] == [base["Size"]] * 2
    assert [r.unique_bytes for r in by_layers.rows] == [100000, 50000]


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()
