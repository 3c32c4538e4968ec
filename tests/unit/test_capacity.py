"""kit.measure.capacity: the arithmetic of images per host, the union of layer chains."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from fake_api import FakeDockerClient, load
from test_distribution import RegistryFakeAPI

from kit.engine import Engine, HistoryStep, ImageInfo
from kit.errors import KitError, LayerError
from kit.measure import capacity
from kit.measure.capacity import (
    capacity_rows,
    fits,
    history_prefix_sizes,
    measure_capacity,
    union_bytes,
)
from kit.model.samples import CapacityRow
from kit.util.units import GB


def test_fits_shared_pays_the_base_once() -> None:
    # 300 MB base + 6 MB app on 10 GB: the base once, then 6 MB per further image.
    assert fits(306 * 10**6, 300 * 10**6, 10 * GB) == ((10 * GB - 300 * 10**6) // (6 * 10**6), 32)
    assert fits(100, 0, 1000) == (10, 10)  # nothing shared: both ways agree
    assert fits(2000, 1000, 1000) == (0, 0)  # one image alone does not fit
    assert fits(500, 500, 1000) == (None, 2)  # no unique bytes: unbounded


@pytest.mark.parametrize(("size", "shared"), [(0, 0), (10, 11), (10, -1)])
def test_fits_refuses_impossible_sizes(size: int, shared: int) -> None:
    with pytest.raises(ValueError):
        fits(size, shared, GB)


def test_union_counts_a_shared_prefix_once() -> None:
    sizes = {("d",): 74, ("d", "s"): 300, ("d", "s", "a"): 306, ("d", "r", "m"): 175, ("f",): 99}
    chains = [("d", "s", "a"), ("d", "r", "m"), ("f",)]
    assert union_bytes(chains, sizes) == 306 + (175 - 74) + 99
    assert union_bytes([("d", "s", "a"), ("d", "s", "a")], sizes) == 306  # same image twice
    assert union_bytes([], sizes) == 0
    # The branch point ("d", "r") is not any image's full chain: unknown, not guessed.
    assert union_bytes([("d", "r", "m"), ("d", "r", "x")], {**sizes, ("d", "r", "x"): 1}) is None


def test_rows_from_the_recorded_df() -> None:
    df = load("dist_df")
    by_tag = {row["RepoTags"][-1]: row for row in df["images"]}
    images = [
        (
            tag.split(":")[-1],
            tuple(df["chains"][tag]),
            by_tag[tag]["Size"],
            by_tag[tag]["SharedSize"],
        )
        for tag in ("kitexp/unit-dist:app", "kitbase/busybox:1")
    ]
    result = capacity_rows("unit-dist", images, {(): 0}, capacity_bytes=10 * GB)
    app = result.rows[0]
    assert app == CapacityRow("unit-dist", "app", 1985484, 1985472, 12, app.fit_shared, 5036)
    assert app.fit_shared == (10 * GB - 1985472) // 12
    assert result.rows[1].fit_shared is None  # busybox shares all its bytes with its children
    assert result.separate_bytes == 1985484 + 1985472
    assert result.together_bytes == 1985484  # busybox's chain is a prefix of the app's


def test_measure_capacity_from_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    api = RegistryFakeAPI()
    df = load("dist_df")
    app_id, busybox_id = (row["Id"] for row in df["images"])
    busybox = api.images_by_ref["kitbase/busybox:1"]
    # The recorded fake's busybox is the same image the df rows describe.
    monkeypatch.setitem(busybox, "Id", busybox_id)
    app = {**busybox, "Id": app_id, "Size": 1985484, "RepoTags": ["kitexp/unit-dist:app"]}
    app["RootFS"] = {"Type": "layers", "Layers": df["chains"]["kitexp/unit-dist:app"]}
    history = [
        {"CreatedBy": "RUN /bin/sh -c make # buildkit", "Size": 12},
        *load("history_busybox"),
    ]
    api.add_image(app, history)
    engine = Engine(FakeDockerClient(api))  # type: ignore[arg-type]
    result = measure_capacity(engine, "unit-dist", [("app", "kitexp/unit-dist:app")])
    assert result.rows[0].unique_bytes == 12 and result.together_bytes == 1985484
    with pytest.raises(KitError, match="not on the engine"):
        measure_capacity(engine, "unit-dist", [("x", "kitexp/none:x")])


# node-server's slim variant built by BuildKit on this machine: `docker history` (newest first)
# and its six layers; BuildKit keeps no step image, so only the history sizes its prefixes.
SLIM_HISTORY = [
    ('CMD ["node" "server.js"]', 0),
    ("COPY . . # buildkit", 25804),
    ("RUN /bin/sh -c npm install # buildkit", 5824101),
    ("COPY package*.json ./ # buildkit", 25324),
    ("WORKDIR /app", 0),
    ("/bin/sh -c #(nop)  LABEL kit.recipe=3f134fd90e6e", 0),
    ('/bin/sh -c #(nop)  CMD ["node"]', 0),
    ("/bin/sh -c #(nop)  ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt", 0),
    ("/bin/sh -c apt-get update  && apt-get install -y nodejs npm", 225923750),
    ("/bin/sh -c #(nop)  LABEL kit.recipe=88c4589adc0a", 0),
    ('/bin/sh -c #(nop)  CMD ["bash"]', 0),
    ("/bin/sh -c #(nop)  ENV PATH=/usr/local/sbin:/usr/local/bin", 0),
    ("/bin/sh -c #(nop) COPY dir:3afc89dbba034d7a in / ", 74107354),
]


def test_prefix_sizes_from_a_buildkit_images_history() -> None:
    layers = ("l1", "l2", "l3", "l4", "l5", "l6")
    image = ImageInfo("sha256:slim", 305906333, layers)
    steps = [HistoryStep(created_by, size) for created_by, size in SLIM_HISTORY]
    # Worked out by hand: base COPY, apt-get, WORKDIR (0 bytes), COPY, RUN, COPY.
    assert history_prefix_sizes(image, steps) == [
        (layers[:1], 74107354),
        (layers[:2], 74107354 + 225923750),
        (layers[:3], 300031104),
        (layers[:4], 300031104 + 25324),
        (layers[:5], 300056428 + 5824101),
        (layers[:6], 305906333),
    ]
    # A history that does not pair exactly with the layers tells nothing.
    assert history_prefix_sizes(ImageInfo("x", 305906333, layers[:5]), steps) == []
    assert history_prefix_sizes(ImageInfo("x", 1, layers), steps) == []


class _Layers:
    """What the layer analysis gives ``from_layers``: each layer's unpacked bytes."""

    def __init__(self, sizes: list[int]) -> None:
        self.layers = [SimpleNamespace(unpacked_bytes=s) for s in sizes]


class _Store:
    def __init__(self, images: dict[str, ImageInfo]) -> None:
        self.images = self
        self.known = images

    def inspect(self, ref: str) -> ImageInfo | None:
        return self.known.get(ref)


def test_capacity_from_the_layers_on_the_containerd_store(monkeypatch: pytest.MonkeyPatch) -> None:
    # A base of two layers (10 and 20 bytes) and two apps on it (5 and 7 bytes more); what
    # overlay2's df would say, worked out by hand: shared = the base's 30 bytes for both.
    base = ImageInfo("sha256:base", 0, ("b1", "b2"))
    x = ImageInfo("sha256:x", 0, ("b1", "b2", "x1"))
    y = ImageInfo("sha256:y", 0, ("b1", "b2", "y1"))
    sizes = {"sha256:x": [10, 20, 5], "sha256:y": [10, 20, 7]}
    monkeypatch.setattr(capacity, "analyze_image", lambda engine, ref, **kw: _Layers(sizes[ref]))
    engine = cast(Any, _Store({i.id: i for i in (base, x, y)}))
    found = capacity.from_layers(engine, "app", [("x", x), ("y", y)], [base.id, x.id, y.id])
    assert [(r.size_bytes, r.shared_bytes, r.unique_bytes) for r in found.rows] == [
        (35, 30, 5),
        (37, 30, 7),
    ]
    assert (found.separate_bytes, found.together_bytes) == (72, 42)
    # Alone on the engine, an image shares nothing; its own id never counts as another image.
    alone = capacity.from_layers(engine, "app", [("x", x)], [x.id])
    assert [(r.shared_bytes, r.unique_bytes) for r in alone.rows] == [(0, 35)]
    # A layer count that disagrees with the engine's is an error, not a guess.
    sizes["sha256:x"] = [10, 25]
    with pytest.raises(LayerError, match="2 layers read, the engine lists 3"):
        capacity.from_layers(engine, "app", [("x", x)], [x.id])
