"""kit.measure.size over recorded inspect and history JSON."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fake_api import BUSYBOX, MULTISTAGE, FakeAPIClient, FakeDockerClient, load

from kit.engine import Engine
from kit.errors import KitError
from kit.measure.size import SizeMeasure, image_bytes, measure_size

# Recorded in fixtures/ (update them when record_fixtures.py is run again).
BUSYBOX_BYTES = 1985472
MULTISTAGE_BYTES = 175443431


def test_fixture_facts_the_assertions_rely_on() -> None:
    history = load("history_multistage")
    assert [step["Size"] for step in history].count(0) == 13
    assert len(load("inspect_image_multistage")["RootFS"]["Layers"]) == 5


def test_multistage_image_on_a_present_base(fake_engine: Engine) -> None:
    assert measure_size(fake_engine, MULTISTAGE, BUSYBOX) == SizeMeasure(
        size_bytes=MULTISTAGE_BYTES,
        engine_size_bytes=MULTISTAGE_BYTES,  # overlay2: the same figure
        layers=5,
        history_steps=17,
        empty_steps=13,
        base_image=BUSYBOX,
        base_bytes=BUSYBOX_BYTES,
    )


@pytest.mark.parametrize("scratch", ["scratch", "SCRATCH"])
def test_scratch_base_is_zero_bytes(
    fake_engine: Engine, fake_api: FakeAPIClient, scratch: str
) -> None:
    measured = measure_size(fake_engine, BUSYBOX, scratch)
    assert measured == SizeMeasure(
        size_bytes=BUSYBOX_BYTES,
        engine_size_bytes=BUSYBOX_BYTES,  # overlay2: the same figure
        layers=2,
        history_steps=6,
        empty_steps=4,
        base_image=scratch,
        base_bytes=0,
    )
    # scratch is never looked up on the engine.
    assert [args[0] for args, _ in fake_api.called("inspect_image")] == [BUSYBOX]


def test_no_base_or_missing_base_is_none(fake_engine: Engine) -> None:
    assert measure_size(fake_engine, BUSYBOX, None).base_bytes is None
    missing = measure_size(fake_engine, MULTISTAGE, "kitbase/node:18-runtime")
    assert missing.base_bytes is None
    assert missing.base_image == "kitbase/node:18-runtime"
    assert missing.size_bytes == MULTISTAGE_BYTES


def test_measured_by_id_too(fake_engine: Engine) -> None:
    image_id = load("inspect_image_busybox")["Id"]
    assert measure_size(fake_engine, image_id, None).layers == 2


def test_layers_and_empty_steps_follow_the_json(fake_api: FakeAPIClient) -> None:
    inspected = load("inspect_image_busybox")
    inspected["Id"] = "sha256:" + "e" * 64
    inspected["RepoTags"] = ["kitexp/edited:1"]
    inspected["Size"] = 12345
    inspected["RootFS"]["Layers"] = [*inspected["RootFS"]["Layers"], "sha256:" + "f" * 64]
    history = [{"Size": 0}, {"Size": 10}, {"Size": None}, {}, {"Size": 7}]
    fake_api.add_image(inspected, history)
    engine = Engine(FakeDockerClient(fake_api))  # type: ignore[arg-type]
    assert measure_size(engine, "kitexp/edited:1", MULTISTAGE) == SizeMeasure(
        size_bytes=12345,
        engine_size_bytes=12345,  # overlay2: the same figure
        layers=3,
        history_steps=5,
        empty_steps=3,
        base_image=MULTISTAGE,
        base_bytes=MULTISTAGE_BYTES,
    )


def test_image_without_rootfs_has_zero_layers(fake_api: FakeAPIClient) -> None:
    inspected = load("inspect_image_busybox")
    inspected["Id"] = "sha256:" + "d" * 64
    inspected["RepoTags"] = ["kitexp/norootfs:1"]
    del inspected["RootFS"]
    fake_api.add_image(inspected, [])
    engine = Engine(FakeDockerClient(fake_api))  # type: ignore[arg-type]
    measured = measure_size(engine, "kitexp/norootfs:1", None)
    assert (measured.layers, measured.history_steps, measured.empty_steps) == (0, 0, 0)


def test_vanished_image_is_a_kit_error(fake_engine: Engine) -> None:
    with pytest.raises(KitError) as info:
        measure_size(fake_engine, "sha256:" + "0" * 64, None)
    assert info.value.message == f"image sha256:{'0' * 64} vanished before it could be measured"


def _containerd_store(fake_api: FakeAPIClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fake engine as the containerd image store reports itself; the layer analysis
    replaced by hand-picked layers (two of 700 and 0 unpacked bytes). Returns the ids analysed."""
    info = {
        **load("info"),
        "Driver": "overlayfs",
        "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]],
    }
    monkeypatch.setattr(fake_api, "info", lambda: info)
    analysed: list[str] = []

    def analyze(engine: Engine, image_id: str, cache: object = None) -> SimpleNamespace:
        analysed.append(image_id)
        layers = (SimpleNamespace(unpacked_bytes=700), SimpleNamespace(unpacked_bytes=0))
        return SimpleNamespace(unpacked_bytes=700, layers=layers)

    monkeypatch.setattr("kit.measure.size.analyze_image", analyze)
    return analysed


def test_containerd_store_sizes_come_from_the_layers(
    fake_api: FakeAPIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysed = _containerd_store(fake_api, monkeypatch)
    engine = Engine(FakeDockerClient(fake_api))  # type: ignore[arg-type]
    measured = measure_size(engine, BUSYBOX, MULTISTAGE)
    busybox_id = load("inspect_image_busybox")["Id"]
    # 6 history steps, 2 layers: 4 steps made no layer, and one layer holds no byte.
    assert measured == SizeMeasure(
        size_bytes=700,
        engine_size_bytes=BUSYBOX_BYTES,  # the engine's own figure, kept beside it
        layers=2,
        history_steps=6,
        empty_steps=4 + 1,
        base_image=MULTISTAGE,
        base_bytes=700,
    )
    assert analysed == [load("inspect_image_multistage")["Id"], busybox_id]
    image = engine.images.inspect(BUSYBOX)
    assert image is not None
    assert image_bytes(engine, image) == 700


def test_overlay2_sizes_are_the_engines_own(fake_engine: Engine) -> None:
    image = fake_engine.images.inspect(BUSYBOX)
    assert image is not None
    assert image_bytes(fake_engine, image) == BUSYBOX_BYTES
