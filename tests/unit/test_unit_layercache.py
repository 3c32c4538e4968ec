"""The layer cache and the engine-storage reader, without an engine: exact numbers on hand-made
layers, the cache's safety (damage, versions, bounds, concurrent writers) and its use (a second
image reads only its own new layers)."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import threading
from pathlib import Path

import pytest
from layer_streams import (
    chunked,
    classic,
    dirent,
    lay_out,
    oci,
    reg,
    symlink,
    tar_of,
    whiteout,
)

from kit.errors import LayerError
from kit.measure.anatomy.combine import ImageAnatomy
from kit.measure.anatomy.gzipsize import METHOD
from kit.measure.anatomy.layercache import FORMAT, LayerCache
from kit.measure.anatomy.layers import analyze_save, analyze_stream
from kit.measure.anatomy.layertar import LayerTar
from kit.measure.anatomy.storage import EngineStorage, StorageUnavailable

BASE = [
    tar_of(dirent("etc/"), reg("etc/os-release", 300), reg("etc/big", 5000)),
    tar_of(dirent("usr/"), reg("usr/tool", 700), symlink("usr/t", "tool")),
]
MINE = [tar_of(dirent("etc/"), whiteout("etc/big"), reg("app.js", 40))]
OTHER = [tar_of(dirent("srv/"), reg("srv/data", 20_000))]  # a size no BASE layer has


def same(a: ImageAnatomy, b: ImageAnatomy) -> bool:
    """Equal tables: only where the layers came from may differ."""

    def plain(x: ImageAnatomy) -> ImageAnatomy:
        return dataclasses.replace(x, layout="", source="", layers_read=0)

    return plain(a) == plain(b)


def diff_id(layer: bytes) -> str:
    return f"sha256:{hashlib.sha256(layer).hexdigest()}"


def scan_of(entries: dict[str, tuple[str, int]], compressed: int | None = 123) -> LayerTar:
    return LayerTar("x", entries, 2048, sum(s for k, s in entries.values() if k == "f"), compressed)


# -- the cache ---------------------------------------------------------------------------------


def test_a_scan_comes_back_as_it_went_in(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    scan = scan_of({"a": ("f", 3), "d": ("d", 0), "d/l": ("l", 0), "é": ("f", 9)})
    cache.put("sha256:" + "a" * 64, scan)
    back = cache.get("sha256:" + "a" * 64, compressed=True)
    assert back is not None
    assert (back.entries, back.tar_bytes, back.content_bytes, back.compressed_bytes) == (
        scan.entries,
        2048,
        12,
        123,
    )
    assert list(back.entries) == list(scan.entries)  # the tar's order, which stacking follows
    assert cache.get("sha256:" + "b" * 64, compressed=False) is None
    assert (tmp_path / f"v{FORMAT}" / "layers" / "aa" / ("a" * 64 + ".json.gz")).is_file()


def test_a_scan_without_gzip_size_serves_only_analyses_without_it(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    cache.put("sha256:" + "c" * 64, scan_of({"a": ("f", 1)}, compressed=None))
    assert cache.get("sha256:" + "c" * 64, compressed=False) is not None
    assert cache.get("sha256:" + "c" * 64, compressed=True) is None


def test_a_gzip_size_computed_another_way_is_computed_again(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    digest = "sha256:" + "d" * 64
    cache.put(digest, scan_of({"a": ("f", 1)}))
    path = next((tmp_path / f"v{FORMAT}" / "layers").rglob("*.json.gz"))
    doc = json.loads(gzip.decompress(path.read_bytes()))
    assert doc["method"] == METHOD
    doc["method"] = "zlib 1.2 level 6"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    assert cache.get(digest, compressed=True) is None
    assert cache.get(digest, compressed=False) is not None


@pytest.mark.parametrize("damage", [b"", b"not gzip", gzip.compress(b'{"format": 1}')])
def test_a_damaged_file_is_a_miss_and_goes(tmp_path: Path, damage: bytes) -> None:
    cache = LayerCache(tmp_path)
    digest = "sha256:" + "e" * 64
    cache.put(digest, scan_of({"a": ("f", 1)}))
    path = next((tmp_path / f"v{FORMAT}" / "layers").rglob("*.json.gz"))
    path.write_bytes(damage)
    assert cache.get(digest, compressed=False) is None
    assert not path.exists()


def test_a_file_under_another_digest_is_not_taken(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    cache.put("sha256:" + "1" * 64, scan_of({"a": ("f", 1)}))
    src = next((tmp_path / f"v{FORMAT}" / "layers").rglob("*.json.gz"))
    target = src.parent.parent / "22" / ("2" * 64 + ".json.gz")
    target.parent.mkdir()
    os.rename(src, target)
    assert cache.get("sha256:" + "2" * 64, compressed=False) is None


def test_configs_are_checked_against_their_id(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    config = b'{"rootfs": {"diff_ids": []}}'
    image_id = diff_id(config)
    cache.put_config(image_id, config)
    cache.put_config("sha256:" + "f" * 64, config)  # not its id: not kept
    assert cache.config(image_id) == config
    assert cache.config("sha256:" + "f" * 64) is None
    path = next((tmp_path / f"v{FORMAT}" / "configs").rglob(image_id[7:]))
    path.write_bytes(config + b" ")
    assert cache.config(image_id) is None


def test_another_format_is_removed_and_the_cache_stays_bounded(tmp_path: Path) -> None:
    (tmp_path / "v0" / "layers").mkdir(parents=True)
    (tmp_path / "v0" / "layers" / "old").write_bytes(b"x" * 100)
    cache = LayerCache(tmp_path, max_bytes=3000)
    digests = [f"sha256:{n:064x}" for n in range(8)]
    for number, digest in enumerate(digests):
        cache.put(digest, scan_of({f"file{n}-{number}": ("f", n) for n in range(80)}))
        path = cache.dir / "layers" / digest[7:9] / f"{digest[7:]}.json.gz"
        os.utime(path, (1000 + number, 1000 + number))  # an order the test can count on
    assert not (tmp_path / "v0").exists()
    assert 0 < cache.size_bytes() <= 3000
    assert cache.get(digests[-1], compressed=True) is not None  # the newest stays
    assert cache.get(digests[0], compressed=True) is None  # the oldest went first
    cache.clear()
    assert not tmp_path.exists()


def test_a_forced_run_writes_but_does_not_read(tmp_path: Path) -> None:
    digest = "sha256:" + "9" * 64
    LayerCache(tmp_path, read=False).put(digest, scan_of({"a": ("f", 1)}))
    assert LayerCache(tmp_path, read=False).get(digest, compressed=False) is None
    assert LayerCache(tmp_path).get(digest, compressed=False) is not None


def test_writers_at_once_leave_whole_files_and_no_temporaries(tmp_path: Path) -> None:
    digest = "sha256:" + "7" * 64
    scan = scan_of({f"p{n}": ("f", n) for n in range(3000)})
    seen: list[LayerTar | None] = []

    def write() -> None:
        for _ in range(15):
            LayerCache(tmp_path).put(digest, scan)

    def read() -> None:
        for _ in range(60):
            seen.append(LayerCache(tmp_path).get(digest, compressed=True))

    threads = [threading.Thread(target=write) for _ in range(4)] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(s is None or s.entries == scan.entries for s in seen)
    assert [p.name for p in tmp_path.rglob(".tmp-*")] == []


# -- the cache in use: a second image reads only its own new layers ------------------------------


@pytest.mark.parametrize("layout", [classic, oci], ids=["classic", "oci"])
def test_a_sibling_reads_only_its_new_layers(tmp_path: Path, layout) -> None:  # type: ignore[no-untyped-def]
    cache = LayerCache(tmp_path)
    first = layout(BASE + MINE)
    sibling = layout(BASE + OTHER)
    cold = analyze_save(lambda: chunked(first), "a", cache=cache)
    assert (cold.source, cold.layers_read) == ("save", 3)
    opened: list[int] = []

    def sibling_stream():  # type: ignore[no-untyped-def]
        opened.append(1)
        return chunked(sibling)

    known = {d: s for d in map(diff_id, BASE) if (s := cache.get(d, compressed=True))}
    again = analyze_save(sibling_stream, "b", cache=cache, known=known)
    assert again.layers_read == 1 and opened == [1]
    assert same(again, analyze_stream(chunked(sibling), "b"))


def test_a_known_size_that_is_another_layer_reads_the_stream_again(tmp_path: Path) -> None:
    """Same tar size, other bytes: the hash tells them apart, and the stream is read anew."""
    impostor = tar_of(dirent("etc/"), reg("etc/os-release", 300, b"y"), reg("etc/big", 5000))
    assert len(impostor) == len(BASE[0]) and impostor != BASE[0]
    cache = LayerCache(tmp_path)
    analyze_save(lambda: chunked(classic(BASE)), "a", cache=cache)
    known = {d: s for d in map(diff_id, BASE) if (s := cache.get(d, compressed=True))}
    image = classic([impostor, BASE[1]])
    opened: list[int] = []

    def stream():  # type: ignore[no-untyped-def]
        opened.append(1)
        return chunked(image)

    found = analyze_save(stream, "c", cache=cache, known=known)
    assert len(opened) == 2
    assert same(found, analyze_stream(chunked(image), "c"))


# -- the engine's storage, laid out by hand ----------------------------------------------------


def test_storage_gives_what_the_save_stream_gives(tmp_path: Path) -> None:
    layers = BASE + MINE
    storage = EngineStorage(tmp_path)
    diff_ids = lay_out(tmp_path, layers)
    saved = analyze_stream(chunked(classic(layers)), "t")
    for index, layer in enumerate(layers):
        assert b"".join(storage.layer_tar("t", diff_ids, index)) == layer
        for compress in (True, False):
            scan = storage.scan("t", diff_ids, index, compress=compress, pool=None)
            stats = saved.layers[index]
            assert scan.tar_bytes == stats.tar_bytes == len(layer)
            assert scan.content_bytes == stats.content_bytes
            assert scan.compressed_bytes == (stats.compressed_bytes if compress else None)


def test_storage_refuses_a_layer_it_does_not_hold(tmp_path: Path) -> None:
    diff_ids = lay_out(tmp_path, BASE)
    storage = EngineStorage(tmp_path)
    (tmp_path / "image/overlay2/layerdb/sha256" / diff_ids[0][7:] / "diff").write_text(diff_ids[1])
    with pytest.raises(StorageUnavailable, match="does not hold"):
        storage.scan("t", diff_ids, 0, compress=False, pool=None)
    (tmp_path / "image/overlay2/layerdb/sha256" / diff_ids[0][7:] / "diff").write_text(diff_ids[0])
    (tmp_path / "overlay2/cache0/diff/etc/big").write_bytes(b"short")
    with pytest.raises(LayerError, match="etc/big"):
        storage.scan("t", diff_ids, 0, compress=True, pool=None)
    with pytest.raises(StorageUnavailable, match="cannot read"):
        storage.config("sha256:" + "0" * 64)
    stored = tmp_path / "image/overlay2/imagedb/content/sha256" / ("0" * 64)
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"{}")  # not the config whose sha256 is that id
    with pytest.raises(StorageUnavailable, match="is not the config"):
        storage.config("sha256:" + "0" * 64)


def test_an_engine_image_id_linked_to_its_config_finds_it(tmp_path: Path) -> None:
    # The containerd image store's image id is its manifest's digest, not the config's.
    cache = LayerCache(tmp_path)
    config = b'{"rootfs": {"diff_ids": []}}'
    config_id, manifest_id = diff_id(config), "sha256:" + "a" * 64
    cache.put_config(config_id, config)
    assert cache.config(manifest_id) is None
    cache.link_image(manifest_id, config_id)
    assert cache.config(manifest_id) == config
    cache.link_image("sha256:" + "b" * 64, "not a digest")  # not kept
    assert cache.config("sha256:" + "b" * 64) is None
