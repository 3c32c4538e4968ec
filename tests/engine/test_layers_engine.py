"""kit.measure.anatomy.layers on real images: against the engine's own records, and against dive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_checks import dive_report
from prereq import need_image

from kit.engine import Engine
from kit.errors import LayerError
from kit.measure.anatomy.layers import analyze_image

pytestmark = pytest.mark.engine

BUSYBOX = "kitbase/busybox:1"
SLIM = "kitbase/node:18-slim"
CHURN = "kitexp/layer-churn:test"  # not eng-*: the suite untags those after each test
# Layers that overwrite, delete and re-create files: what efficiency and waste are about.
CHURN_DOCKERFILE = """FROM kitbase/busybox:1
RUN mkdir -p /data/keep /data/gone && head -c 300000 /dev/zero > /data/big \\
 && head -c 1000 /dev/zero > /data/gone/a && echo hi > /data/keep/b
RUN head -c 200000 /dev/zero > /data/big && rm -rf /data/gone
RUN head -c 50000 /dev/zero > /data/big && rm /data/keep/b
"""


@pytest.fixture(scope="module")
def churn(engine: Engine, busybox: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    context = tmp_path_factory.mktemp("churn")
    (context / "Dockerfile").write_text(CHURN_DOCKERFILE)
    before = engine.images.ids()
    built = engine.builds.build(
        str(context), "Dockerfile", tag=CHURN, buildargs={}, labels={}, nocache=True
    )
    assert built.image_id, built.error
    yield CHURN
    engine.images.remove(CHURN, force=True)
    engine.images.remove_dangling_since(before)


@pytest.mark.parametrize("ref", [BUSYBOX, SLIM, "churn"])
def test_anatomy_agrees_with_the_engine(
    engine: Engine, ref: str, request: pytest.FixtureRequest
) -> None:
    if ref == "churn":
        ref = request.getfixturevalue("churn")
    inspected = need_image(engine, ref)
    anatomy = analyze_image(engine, ref, source="save")
    rootfs = inspected["RootFS"]
    assert isinstance(rootfs, dict)
    assert len(anatomy.layers) == len(rootfs["Layers"])
    assert [layer.diff_id for layer in anatomy.layers] == rootfs["Layers"]
    major = int(engine.info().version.split(".")[0])
    assert anatomy.layout == ("oci" if major >= 25 else "classic")
    # Size counts regular files and symlink targets' lengths; file contents are nearly all of it.
    assert anatomy.content_bytes == pytest.approx(inspected["Size"], rel=0.01)
    for layer in anatomy.layers:
        assert layer.compressed_bytes is not None
        assert 0 < layer.compressed_bytes < layer.tar_bytes
        assert layer.content_bytes <= layer.tar_bytes
        assert layer.created_by and layer.created_by != "(missing)"
    assert anatomy.layers[0].files_added > 0
    assert anatomy.compressed_bytes is not None
    assert anatomy.compressed_bytes < anatomy.tar_bytes
    assert 0.0 < anatomy.efficiency <= 1.0
    assert 0 <= anatomy.wasted_bytes <= anatomy.dive_wasted_bytes
    assert not [t for t in threading.enumerate() if t.name.startswith("kit-gzip")]


@pytest.mark.parametrize("ref", ["churn", SLIM])
def test_efficiency_agrees_with_dive(
    engine: Engine, ref: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if ref == "churn":
        ref = request.getfixturevalue("churn")
    need_image(engine, ref)
    image = dive_report(ref, tmp_path)
    anatomy = analyze_image(engine, ref, compress=False)
    assert abs(anatomy.efficiency - image["efficiencyScore"]) < 0.001
    # Same walk, same sums: dive's own wasted figure comes out to the byte.
    assert anatomy.dive_wasted_bytes == image["inefficientBytes"]
    assert anatomy.wasted_bytes < anatomy.dive_wasted_bytes  # the kit drops the kept copy


def test_a_missing_image_is_a_layer_error(engine: Engine) -> None:
    with pytest.raises(LayerError, match="kitexp/no-such-image:none"):
        analyze_image(engine, "kitexp/no-such-image:none")


def test_churn_image_wastes_what_its_later_layers_replace(
    engine: Engine, churn: str, busybox: str
) -> None:
    """/data/big is written at 300 kB, 200 kB, 50 kB: 500 kB shipped beyond the kept copy."""
    base = len(engine.api.inspect_image(busybox)["RootFS"]["Layers"])
    anatomy = analyze_image(engine, churn, compress=False)
    assert len(anatomy.layers) == base + 3
    big = next(w for w in anatomy.top_wasted if w.path == "/data/big")
    assert big.wasted_bytes == 300_000 + 200_000
    assert big.layers == (base, base + 1, base + 2)
    assert anatomy.efficiency < 1.0
    deleted = [layer.files_deleted for layer in anatomy.layers[base:]]
    assert deleted == [0, 1, 1]  # /data/gone/a, then /data/keep/b
