"""The fresh host against real engines: the test app's variants pushed into the local registry,
pulled onto an empty extra dockerd and started there to ready (an http probe inside the
container's own network namespace on that engine), the host filled with every variant, and
nothing of the extra engine left after the run, an error or a Ctrl-C mid-measurement.

Expected values come from outside the code under test: the registry's manifests read over HTTP
here, the source engine's inspect (layer sizes), /proc (processes, mounts).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import Check
from prereq import need_image, need_registry, unavailable

from kit import cli
from kit.engine import Engine
from kit.errors import EngineError
from kit.host.extra_engine import ExtraEngine
from kit.host.extra_engine import extra_engine as real_extra_engine
from kit.host.manifest import MANIFEST_TYPES
from kit.host.procs import mounts_under, processes_using
from kit.host.registry import Registry, local_registry, slug
from kit.inputs.app import load_app
from kit.measure.transfer import fresh_host as fresh
from kit.pipeline import payoffs as payoffs_module

pytestmark = pytest.mark.engine
APP = "eng-fresh"
VARIANTS = ("small", "medium", "large")


@pytest.fixture()
def registry() -> Iterator[Registry]:
    need_registry()
    if os.geteuid() != 0:
        unavailable("the fresh host is an extra dockerd: root only")
    with local_registry() as running:
        yield running


@pytest.fixture()
def started(monkeypatch: pytest.MonkeyPatch) -> list[ExtraEngine]:
    """Every extra engine the fresh host starts, to look for its leftovers afterwards."""
    seen: list[ExtraEngine] = []

    @contextlib.contextmanager
    def recording(*args: Any, **kwargs: Any) -> Iterator[ExtraEngine]:
        with real_extra_engine(*args, **kwargs) as extra:
            seen.append(extra)
            yield extra

    monkeypatch.setattr(fresh, "extra_engine", recording)
    return seen


@pytest.fixture()
def images(engine: Engine) -> dict[str, str]:
    """The test app's variants built on the suite's engine (removed after each test by the
    suite's fixture): variant → image id."""
    need_image(engine, "kitbase/busybox:1")
    built = {}
    for variant in VARIANTS:
        tag = f"kitexp/eng-fresh:{variant}"
        stream = engine.builds.build(
            str(Check.app_dir(APP)),
            f"Dockerfile.{variant}",
            tag=tag,
            buildargs={},
            labels={},
            nocache=False,
        )
        assert stream.image_id is not None, stream.log_tail
        built[variant] = stream.image_id
    return built


def manifest_bytes(registry: Registry, variant: str) -> int:
    """Config + layers as the registry's own manifest lists them (HTTP, not the kit's parser)."""
    doc = requests.get(
        f"{registry.url}/v2/{slug(variant)}/manifests/kit",
        headers={"Accept": ", ".join(MANIFEST_TYPES)},
        timeout=10,
    ).json()
    return int(doc["config"]["size"]) + sum(int(x["size"]) for x in doc["layers"])


def assert_gone(engines: list[ExtraEngine]) -> None:
    assert engines, "no extra engine was started"
    for extra in engines:
        for place in extra.places:
            assert not place.exists(), place
            assert not mounts_under(place), place
            assert not processes_using(place), place


def refs(engine: Engine, images: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Each source image's references, to check a trial leaves them as they were."""
    return {v: tuple(sorted(engine.api.inspect_image(i)["RepoTags"])) for v, i in images.items()}


def test_pulls_whole_images_and_deploys_every_variant(
    engine: Engine,
    registry: Registry,
    images: dict[str, str],
    started: list[ExtraEngine],
    tmp_path: Path,
    no_leaks: None,
) -> None:
    before = refs(engine, images)
    app = load_app(Check.app_dir(APP))
    found = fresh.measure_fresh_host(
        engine,
        [(v, f"kitexp/eng-fresh:{v}") for v in VARIANTS],
        2,
        registry,
        app.probe,
        limits=app.limits,
        fill=True,
        parent=tmp_path,
    )
    assert [(s.variant, s.status, s.scenario) for s in found.samples] == [
        (v, "ok", "fresh-host") for v in VARIANTS for _ in range(2)
    ], found.samples
    for sample in found.samples:
        # On an empty host the pull downloads the whole image: the registry's manifest says how
        # much that is (the busybox base included).
        assert sample.pulled_bytes == manifest_bytes(registry, sample.variant)
        assert sample.pull_s is not None and sample.deploy_s is not None
        assert sample.deploy_s > sample.pull_s > 0
        assert sample.push_s is None and sample.pushed_bytes is None
    # Filled with all three: the layers counted once, i.e. the shared base once plus each
    # variant's own layers (sizes from the source engine's inspect).
    sizes = {v: engine.api.inspect_image(i)["Size"] for v, i in images.items()}
    base = engine.api.inspect_image("kitbase/busybox:1")["Size"]
    assert found.fill is not None and found.fill.variants == 3
    assert found.fill.layers_bytes == base + sum(s - base for s in sizes.values())
    assert found.fill.data_root_bytes > 0
    assert_gone(started)
    assert not list(tmp_path.iterdir())
    assert refs(engine, images) == before


def test_a_failed_start_is_a_failed_row(
    engine: Engine, registry: Registry, images: dict[str, str], started: list[ExtraEngine]
) -> None:
    app = load_app(Check.app_dir(APP))
    # A log probe for a line the service never prints: the start fails on the fresh host.
    never = type(app.probe)(kind="log", pattern="never printed", timeout_s=1)
    found = fresh.measure_fresh_host(
        engine, [("small", "kitexp/eng-fresh:small")], 2, registry, never
    )
    assert [(s.status, s.trial) for s in found.samples] == [("failed", 0)]
    assert "never printed" in (found.samples[0].error or "")
    assert_gone(started)


@pytest.mark.parametrize("raised", [KeyboardInterrupt, EngineError])
def test_nothing_left_after_an_interrupt_or_error(
    engine: Engine,
    registry: Registry,
    images: dict[str, str],
    started: list[ExtraEngine],
    monkeypatch: pytest.MonkeyPatch,
    raised: type[BaseException],
) -> None:
    before = refs(engine, images)
    real = fresh.time_to_ready
    calls: list[str] = []

    def once_then_raise(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])
        if len(calls) == 2:
            # Mid-measurement: the second variant pulled, its start about to begin.
            raise raised("injected")
        return real(*args, **kwargs)

    monkeypatch.setattr(fresh, "time_to_ready", once_then_raise)
    with pytest.raises(raised):
        fresh.measure_fresh_host(
            engine,
            [(v, f"kitexp/eng-fresh:{v}") for v in VARIANTS],
            1,
            registry,
            load_app(Check.app_dir(APP)).probe,
        )
    assert len(calls) == 2
    assert_gone(started)
    assert refs(engine, images) == before


def test_pipeline_fresh_host_rows_and_columns(
    engine: Engine, started: list[ExtraEngine], measure: Any, check: Check, no_leaks: None
) -> None:
    need_registry()
    if os.geteuid() != 0:
        unavailable("the fresh host is an extra dockerd: root only")
    results = measure(APP, distribution=1, fresh_host=True, capacity=True, floor=False)
    rows = results.distribution_rows
    assert {d.scenario for d in rows} == {"base-present", "fresh-host"}
    fresh_rows = [d for d in rows if d.scenario == "fresh-host"]
    assert sorted(d.variant for d in fresh_rows) == sorted(VARIANTS)
    assert all(d.status == "ok" and d.deploy_s is not None for d in fresh_rows), fresh_rows
    # With a fresh host asked for, the base-present cold pulls are deployed too (warm are not).
    base = [d for d in rows if d.scenario == "base-present" and d.status == "ok"]
    assert {d.mode for d in base} == {"cold", "warm"}
    assert all((d.deploy_s is not None) == (d.mode == "cold") for d in base), base
    for variant in VARIANTS:
        row = check.ok(results, variant)
        mine = next(d for d in fresh_rows if d.variant == variant)
        assert row.fresh_pulled_bytes == mine.pulled_bytes
        assert row.deploy_median_s == mine.deploy_s
    frame = results.table("distribution")
    assert {"scenario", "deploy_s"} <= set(frame.columns)
    capacity = results.capacity_rows
    assert capacity and all(c.fresh_layers_bytes for c in capacity)
    assert_gone(started)


def test_ctrl_c_in_kit_measure_leaves_no_fresh_host(
    engine: Engine,
    started: list[ExtraEngine],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``kit measure --fresh-host`` interrupted while a variant starts on the fresh host: exit
    130, the extra engine and the registry gone, nothing of the run in the store."""
    need_registry()
    if os.geteuid() != 0:
        unavailable("the fresh host is an extra dockerd: root only")
    registries: list[Registry] = []

    @contextlib.contextmanager
    def recording(*args: Any, **kwargs: Any) -> Iterator[Registry]:
        with local_registry(*args, **kwargs) as running:
            registries.append(running)
            yield running

    monkeypatch.setattr(payoffs_module, "local_registry", recording)

    def ctrl_c(*_args: Any, **_kwargs: Any) -> float:
        raise KeyboardInterrupt

    monkeypatch.setattr(fresh, "time_to_ready", ctrl_c)
    store = tmp_path / "store"
    argv = ["measure", "--profile", "local", "--trials", "1", "--warmups", "0", "--store"]
    argv += [str(store), "--quiet", "--distribution", "1", "--fresh-host", "--variant", "small"]
    code = cli.main([*argv, str(Check.app_dir(APP))])
    assert code == 130, capsys.readouterr().err
    assert_gone(started)
    assert registries and all(
        r.storage is not None and not r.storage.parent.exists() and not r.running()
        for r in registries
    )
    assert not (store / "runs").exists() or not list((store / "runs").iterdir())
