"""The engine-storage fast path: a layer's entries from its tar-split (no tar parsing) equal
tarfile's reading of the same tar, and a damaged tar-split is a clear error; the sampled gzip
size past a layer's first blocks, worked out by hand from zlib-ng and ISA-L."""

from __future__ import annotations

import base64
import gzip
import json
import random
import tarfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from isal import isal_zlib
from layer_streams import blob, dirent, hardlink, lay_out, reg, special, symlink, tar_of
from zlib_ng import gzip_ng, zlib_ng

from kit.errors import LayerError
from kit.measure.anatomy.gzipsize import GZIP_BLOCK, SCALED_UNIT, GzipSizer
from kit.measure.anatomy.layertar import read_tar
from kit.measure.anatomy.reader import ForwardReader
from kit.measure.anatomy.storage import EngineStorage

RICH = tar_of(
    dirent("usr/"),
    dirent("usr/share/"),
    reg("usr/share/" + "long-name-" * 20 + ".txt", 1234),  # a PAX path
    blob("usr/share/caf\u00e9/men\u00fc.json", b'{"a": 1}'),  # a PAX UTF-8 path
    reg("usr/bin/tool", 70_000, b"\x7fELF\x02"),
    symlink("usr/bin/t", "tool"),
    symlink("usr/bin/far", "../share/" + "long-name-" * 20 + ".txt"),  # a PAX linkpath
    hardlink("usr/bin/tool2", "usr/bin/tool"),
    hardlink("usr/bin/" + "deep-" * 30, "usr/share/" + "long-name-" * 20 + ".txt"),
    reg("empty", 0),
)


def _by_tarfile(layer: bytes) -> tuple[dict[str, tuple[str, int]], int, int, int]:
    reader = ForwardReader(iter([layer]))
    entries, content, links = read_tar(reader, "t", "layer")
    reader.drain()
    return entries, reader.tell(), content, links


LAYERS = [
    RICH,
    tar_of(
        reg("opt/" + "gnu-long-" * 15, 300),
        hardlink("opt/h", "opt/" + "gnu-long-" * 15),
        symlink("opt/s", "gnu-long-" * 15),  # a GNU long link
        fmt=tarfile.GNU_FORMAT,
    ),
    tar_of(special("dev/fifo", tarfile.FIFOTYPE)),
    tar_of(special("olddir/", tarfile.AREGTYPE), fmt=tarfile.USTAR_FORMAT),  # an old V7 dir
    tar_of(),  # an empty layer: the end-of-archive marker only
]


@pytest.mark.parametrize("go_names", [False, True])
@pytest.mark.parametrize("compress", [False, True])
def test_the_tar_split_gives_what_tarfile_reads(
    tmp_path: Path, go_names: bool, compress: bool
) -> None:
    diff_ids = lay_out(tmp_path, LAYERS, go_names=go_names)
    storage = EngineStorage(tmp_path)
    for index, layer in enumerate(LAYERS):
        entries, tar_bytes, content, links = _by_tarfile(layer)
        scan = storage.scan("t", diff_ids, index, compress=compress, pool=None)
        assert (scan.entries, scan.tar_bytes, scan.content_bytes) == (entries, tar_bytes, content)
        assert scan.link_bytes == links
        assert tar_bytes == len(layer)
        assert scan.compressed_bytes == (len(gzip_ng.compress(layer, 6)) if compress else None)

    def kinds(index: int) -> dict[str, tuple[str, int]]:
        return storage.scan("t", diff_ids, index, compress=False, pool=None).entries

    assert kinds(0)["usr/bin/tool2"] == ("h", 0) and kinds(0)["usr/bin/t"] == ("l", 0)
    assert kinds(2) == {"dev/fifo": ("o", 0)}
    # By hand: "tool" is 4 bytes, "../share/" + 20 × "long-name-" + ".txt" is 9 + 200 + 4.
    assert _by_tarfile(RICH)[3] == 4 + 213
    assert _by_tarfile(LAYERS[1])[3] == 9 * 15
    assert kinds(3) == {"olddir": ("d", 0)}


Edit = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _rewrite(tmp_path: Path, diff_ids: list[str], edit: Edit) -> None:
    meta = tmp_path / "image/overlay2/layerdb/sha256" / diff_ids[0][7:] / "tar-split.json.gz"
    lines = [json.loads(x) for x in gzip.decompress(meta.read_bytes()).splitlines()]
    text = "\n".join(json.dumps(x) for x in edit(lines)) + "\n"
    meta.write_bytes(gzip.compress(text.encode()))


def _flip(payload: str, at: int) -> str:
    raw = bytearray(base64.b64decode(payload))
    raw[at] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda ls: [*ls[:1], {**ls[1], "type": 9}, *ls[2:]], "unknown type"),
        (lambda ls: [{**ls[0], "payload": _flip(ls[0]["payload"], 10)}, *ls[1:]], "checksum"),
        (lambda ls: [{**ls[0], "payload": ""}, *ls[1:]], "no tar header"),
        (lambda ls: [*ls, {"type": 2, "payload": "anVuaw=="}], "after the last entry"),
    ],
)
def test_a_damaged_tar_split_is_a_layer_error(tmp_path: Path, edit: Edit, message: str) -> None:
    diff_ids = lay_out(tmp_path, [RICH])
    _rewrite(tmp_path, diff_ids, edit)
    with pytest.raises(LayerError, match=message) as caught:
        EngineStorage(tmp_path).scan("t", diff_ids, 0, compress=False, pool=None)
    assert diff_ids[0] in caught.value.message


def test_a_truncated_tar_split_is_a_layer_error(tmp_path: Path) -> None:
    diff_ids = lay_out(tmp_path, [RICH])
    meta = tmp_path / "image/overlay2/layerdb/sha256" / diff_ids[0][7:] / "tar-split.json.gz"
    meta.write_bytes(meta.read_bytes()[:-20])
    with pytest.raises(LayerError, match="tar-split"):
        EngineStorage(tmp_path).scan("t", diff_ids, 0, compress=False, pool=None)


def test_a_hard_link_out_of_the_root_is_refused(tmp_path: Path) -> None:
    diff_ids = lay_out(tmp_path, [tar_of(reg("a", 3), hardlink("b", "../../etc/shadow"))])
    with pytest.raises(LayerError, match="outside the image root"):
        EngineStorage(tmp_path).scan("t", diff_ids, 0, compress=False, pool=None)


# -- the sampled gzip size -------------------------------------------------------------------


def _mixed(blocks: int, seed: int = 3) -> bytes:
    """Blocks of different kinds (text, near-random, runs), so their ratios differ."""
    rng = random.Random(seed)
    words = [bytes(rng.getrandbits(8) for _ in range(rng.randint(2, 9))) for _ in range(300)]
    out = bytearray()
    for number in range(blocks):
        start = len(out)
        while len(out) - start < GZIP_BLOCK:
            if number % 3 == 0:
                out += b"the quick brown fox %d jumps\n" % rng.randint(0, 99)
            elif number % 3 == 1:
                out += rng.choice(words)
            else:
                out += bytes([rng.getrandbits(8)]) * rng.randint(1, 40)
        del out[start + GZIP_BLOCK :]
    return bytes(out[: -GZIP_BLOCK // 3])  # a short last block


def _by_hand(data: bytes, exact_blocks: int, stride: int) -> int:
    blocks = [data[i : i + GZIP_BLOCK] for i in range(0, len(data), GZIP_BLOCK)]
    exact, fast, sample_z, sample_f = 18, 0, 0, 0
    for number, block in enumerate(blocks):
        last = number == len(blocks) - 1
        zdict = blocks[number - 1][-32768:] if number else b""
        comp = zlib_ng.compressobj(6, zlib_ng.DEFLATED, -15, 8, 0, zdict) if zdict else None
        comp = comp or zlib_ng.compressobj(6, zlib_ng.DEFLATED, -15)
        z = len(
            comp.compress(block) + comp.flush(zlib_ng.Z_FINISH if last else zlib_ng.Z_SYNC_FLUSH)
        )
        f = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
        f_len = len(f.compress(block) + f.flush())
        past = number - exact_blocks
        if past < 0:
            exact += z
        elif past % stride == 0:
            exact, sample_z, sample_f = exact + z, sample_z + z, sample_f + f_len
        else:
            fast += f_len
    if not fast:
        return exact
    return exact + round(fast * sample_z / sample_f / SCALED_UNIT) * SCALED_UNIT


def test_past_its_first_blocks_a_layer_is_sampled_and_scaled(tmp_path: Path) -> None:
    data = _mixed(11)
    expected = _by_hand(data, exact_blocks=2, stride=3)
    # zlib-ng on every block gives another figure: the sampled one is an estimate of it.
    whole = _by_hand(data, exact_blocks=100, stride=3)
    assert expected != whole and abs(expected - whole) / whole < 0.05
    inline = GzipSizer(exact_blocks=2, stride=3)
    for start in range(0, len(data), 300_001):
        inline.feed(data[start : start + 300_001])
    assert inline.close() == expected
    # From files on disk, on a pool of threads: the same figure.
    (tmp_path / "a").write_bytes(data[:777])
    (tmp_path / "b").write_bytes(data[777:])
    with ThreadPoolExecutor(2) as pool:
        pooled = GzipSizer(pool, exact_blocks=2, stride=3)
        pooled.feed_file(str(tmp_path / "a"), 777)
        pooled.feed_file(str(tmp_path / "b"), len(data) - 777)
        assert pooled.close() == expected


def test_a_file_that_changed_under_the_sizer_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 100)
    sizer = GzipSizer()
    sizer.feed_file(str(tmp_path / "a"), 200)
    with pytest.raises(OSError, match="200-byte"):
        sizer.close()
    (tmp_path / "l").symlink_to(tmp_path / "a")
    sizer = GzipSizer()
    sizer.feed_file(str(tmp_path / "l"), 100)
    with pytest.raises(OSError):
        sizer.close()
