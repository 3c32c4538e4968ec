"""kit.measure.anatomy over hand-built ``docker save`` streams, in both layouts: exact numbers."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import subprocess
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from layer_streams import (
    blob,
    chunked,
    classic,
    config_of,
    dirent,
    hardlink,
    oci,
    opaque,
    reg,
    step,
    symlink,
    tar_of,
    whiteout,
)
from prereq import need_dive
from zlib_ng import gzip_ng

from kit.errors import KitError, LayerError
from kit.measure.anatomy.gzipsize import GZIP_BLOCK, GzipSizer, deflate_block
from kit.measure.anatomy.layers import ImageAnatomy, WastedPath, analyze_stream, short_command
from kit.measure.anatomy.savestream import clean_path

Layout = Callable[[list[bytes]], bytes]
LAYOUTS = pytest.mark.parametrize("layout", [classic, oci], ids=["classic", "oci"])

OVERWRITE = [
    tar_of(reg("etc/hostname", 10), dirent("app/"), reg("app/data.bin", 100)),
    tar_of(dirent("app/"), reg("app/data.bin", 200)),
    tar_of(dirent("app/"), reg("app/data.bin", 50)),
]
WHITEOUT = [
    tar_of(dirent("tmp/"), reg("tmp/big", 1000), reg("tmp/keep", 5)),
    tar_of(dirent("tmp/"), whiteout("tmp/big")),
]
DIRECTORY_DELETED = [
    tar_of(
        dirent("opt/"),
        dirent("opt/tool/"),
        reg("opt/tool/bin", 1000),
        dirent("opt/tool/lib/"),
        reg("opt/tool/lib/x.so", 2000),
    ),
    tar_of(dirent("opt/"), whiteout("opt/tool")),
    tar_of(dirent("opt/"), reg("opt/tool", 10)),
]
OPAQUE = [
    tar_of(dirent("cache/"), reg("cache/a", 300), reg("cache/b", 400), reg("keep", 1)),
    tar_of(dirent("cache/"), opaque("cache"), reg("cache/a", 30), reg("cache/c", 7)),
]
LINKS = [
    tar_of(
        dirent("usr/"),
        symlink("usr/node", "../lib/node"),
        reg("usr/tool", 500),
        hardlink("usr/tool2", "usr/tool"),
    ),
    tar_of(dirent("usr/"), reg("usr/node", 300), reg("usr/tool", 600)),
]


def analyze(
    data: bytes, size: int = 4097, *, compress: bool = True, workers: int | None = None
) -> ImageAnatomy:
    return analyze_stream(chunked(data, size), "test/image:1", compress=compress, workers=workers)


def counts(anatomy: ImageAnatomy) -> list[tuple[int, int, int]]:
    return [(x.files_added, x.files_modified, x.files_deleted) for x in anatomy.layers]


@LAYOUTS
def test_a_file_overwritten_in_three_layers(layout: Layout) -> None:
    anatomy = analyze(layout(OVERWRITE))
    assert anatomy.layout == ("classic" if layout is classic else "oci")
    # /app/data.bin: cum 100+200+50 = 350, min 50; /etc/hostname: 10 once.
    assert anatomy.efficiency == (50 + 10) / (350 + 10)
    assert anatomy.wasted_bytes == 300
    assert anatomy.dive_wasted_bytes == 350
    assert anatomy.top_wasted == (WastedPath("/app/data.bin", 300, (0, 1, 2)),)
    assert counts(anatomy) == [(2, 0, 0), (0, 1, 0), (0, 1, 0)]
    assert [x.content_bytes for x in anatomy.layers] == [110, 200, 50]
    assert [x.tar_bytes for x in anatomy.layers] == [len(t) for t in OVERWRITE]
    assert [x.index for x in anatomy.layers] == [0, 1, 2]


@LAYOUTS
def test_a_file_deleted_in_a_later_layer(layout: Layout) -> None:
    anatomy = analyze(layout(WHITEOUT))
    # The whiteout scores 0 for /tmp/big: min 0, cum 1000; /tmp/keep 5 once.
    assert anatomy.efficiency == 5 / 1005
    assert (anatomy.wasted_bytes, anatomy.dive_wasted_bytes) == (1000, 1000)
    assert anatomy.top_wasted == (WastedPath("/tmp/big", 1000, (0, 1)),)
    assert counts(anatomy) == [(2, 0, 0), (0, 0, 1)]


@LAYOUTS
def test_a_deleted_directory_weighs_what_was_below_it(layout: Layout) -> None:
    anatomy = analyze(layout(DIRECTORY_DELETED))
    # Layer 1's whiteout of /opt/tool scores 1000 + 2000; layer 2's file there scores 10.
    assert anatomy.top_wasted == (WastedPath("/opt/tool", 3000, (1, 2)),)
    assert (anatomy.wasted_bytes, anatomy.dive_wasted_bytes) == (3000, 3010)
    assert anatomy.efficiency == (1000 + 2000 + 10) / (1000 + 2000 + 3010)
    assert counts(anatomy) == [(2, 0, 0), (0, 0, 2), (1, 0, 0)]


@LAYOUTS
def test_an_opaque_directory_hides_everything_below(layout: Layout) -> None:
    anatomy = analyze(layout(OPAQUE))
    # cache/a came back (modified), cache/c is new, cache/b is gone; keep is untouched.
    assert counts(anatomy) == [(3, 0, 0), (1, 1, 1)]
    # dive does not score opaque markers: cache/a 300 then 30 is its only repeat.
    assert anatomy.top_wasted == (WastedPath("/cache/a", 300, (0, 1)),)
    assert anatomy.dive_wasted_bytes == 330
    assert anatomy.efficiency == (30 + 400 + 1 + 7) / (330 + 400 + 1 + 7)


@LAYOUTS
def test_hard_links_and_symlinks(layout: Layout) -> None:
    anatomy = analyze(layout(LINKS))
    # Links are entries of size 0: a symlink replaced by a 300-byte file wastes 300 (min 0).
    assert counts(anatomy) == [(3, 0, 0), (0, 2, 0)]
    assert [x.content_bytes for x in anatomy.layers] == [500, 900]
    assert anatomy.top_wasted == (
        WastedPath("/usr/tool", 600, (0, 1)),
        WastedPath("/usr/node", 300, (0, 1)),
    )
    assert (anatomy.wasted_bytes, anatomy.dive_wasted_bytes) == (900, 1400)
    assert anatomy.efficiency == 500 / 1400


def test_an_opaque_root_and_names_that_only_look_like_markers() -> None:
    layers = [
        tar_of(reg("a", 1), dirent("d/"), reg("d/b", 2)),
        tar_of(opaque(""), reg("x.wh..wh..opq", 3), reg("keep.wh.", 4)),
    ]
    # The root's opaque marker hides a and d/b; the two look-alikes are plain new files.
    assert counts(analyze(classic(layers))) == [(2, 0, 0), (2, 0, 2)]


def test_a_file_replacing_a_directory_deletes_what_was_in_it() -> None:
    layers = [
        tar_of(dirent("srv/"), reg("srv/a", 1), reg("srv/b", 2)),
        tar_of(reg("srv", 3)),
        tar_of(dirent("srv/"), reg("srv/c", 4)),
    ]
    assert counts(analyze(classic(layers))) == [(2, 0, 0), (1, 0, 2), (1, 0, 1)]


def test_a_whiteout_of_a_missing_path_scores_zero_and_deletes_nothing() -> None:
    layers = [tar_of(reg("a", 10)), tar_of(whiteout("ghost"))]
    anatomy = analyze(classic(layers))
    assert counts(anatomy) == [(1, 0, 0), (0, 0, 0)]
    assert anatomy.efficiency == 1.0


def test_created_by_skips_empty_history_steps_and_reads_well() -> None:
    long_run = "/bin/sh -c apt-get update &&     apt-get install -y " + "pkg " * 40
    history = [
        step("/bin/sh -c #(nop) ADD file:abc in / "),
        step('/bin/sh -c #(nop)  CMD ["bash"]', empty=True),
        step("/bin/sh -c #(nop)  ENV A=1", empty=True),
        step(long_run),
        step("LABEL x=y", empty=True),
        step("|1 NODE_IMAGE=kitbase/node:18 /bin/sh -c npm ci"),
    ]
    layers = [tar_of(reg("a", 1)), tar_of(reg("b", 1)), tar_of(reg("c", 1))]
    anatomy = analyze(classic(layers, history))
    first, second, third = (x.created_by for x in anatomy.layers)
    assert first == "ADD file:abc in /"
    assert second.startswith("apt-get update && apt-get install -y pkg pkg")
    assert len(second) == 80 and second.endswith("…")
    assert third == "npm ci"
    assert [x.diff_id for x in anatomy.layers] == [
        f"sha256:{hashlib.sha256(t).hexdigest()}" for t in layers
    ]


def test_missing_history_is_marked_not_invented() -> None:
    layers = [tar_of(reg("a", 1)), tar_of(reg("b", 1))]
    anatomy = analyze(classic(layers, [step("/bin/sh -c only one")]))
    assert [x.created_by for x in anatomy.layers] == ["only one", "(missing)"]


def test_short_command() -> None:
    assert short_command("/bin/sh -c #(nop) WORKDIR /app") == "WORKDIR /app"
    assert short_command("  RUN  a\n\tb  ") == "RUN a b"
    assert short_command("x" * 81) == "x" * 79 + "…"
    assert short_command("x" * 80) == "x" * 80
    assert short_command("RUN /bin/sh -c npm ci # buildkit") == "npm ci"
    assert short_command("|2 A=1 B= /bin/sh -c make") == "make"


def test_compressed_bytes_is_gzip_level_6_of_the_layer_tar() -> None:
    """zlib-ng's own gzip at level 6 (the method the kit states: closest to a push's bytes)."""
    anatomy = analyze(classic(OVERWRITE))
    assert [x.compressed_bytes for x in anatomy.layers] == [
        len(gzip_ng.compress(t, 6)) for t in OVERWRITE
    ]
    assert all(x.compressed_bytes and x.compressed_bytes > 0 for x in anatomy.layers)


def _noise(size: int, seed: int = 7) -> bytes:
    # Half-compressible bytes: real layers are neither text nor random.
    rng = random.Random(seed)
    words = [bytes(rng.getrandbits(8) for _ in range(rng.randint(3, 12))) for _ in range(500)]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words)
    return bytes(out[:size])


def test_a_large_layer_is_sized_in_blocks_that_make_one_valid_gzip() -> None:
    big = tar_of(blob("usr/lib/big.so", _noise(int(2.5 * GZIP_BLOCK))), reg("etc/x", 3))
    blocks = [big[i : i + GZIP_BLOCK] for i in range(0, len(big), GZIP_BLOCK)]
    stream, zdict = b"", b""
    for number, block in enumerate(blocks):
        stream += deflate_block(block, zdict, last=number == len(blocks) - 1)
        zdict = block[-32768:]
    # The blocks form one valid deflate stream, which Python's own zlib reads back.
    assert zlib.decompress(stream, -15) == big
    expected = 10 + len(stream) + 8
    serial = len(gzip_ng.compress(big, 6))
    assert abs(expected - serial) / serial < 0.005
    for size in (1000, 65536, 3 * GZIP_BLOCK):  # however the stream arrives
        assert analyze(classic([big]), size).layers[0].compressed_bytes == expected
    for workers in (0, 1, 3):
        assert analyze(classic([big]), workers=workers).layers[0].compressed_bytes == expected


def test_gzip_sizer_on_a_pool_equals_inline() -> None:
    data = _noise(3 * GZIP_BLOCK + 123)
    inline = GzipSizer()
    with ThreadPoolExecutor(2) as pool:
        pooled = GzipSizer(pool)
        for start in range(0, len(data), 70_000):
            inline.feed(data[start : start + 70_000])
            pooled.feed(memoryview(data)[start : start + 70_000])
        assert pooled.close() == inline.close()


def test_analysis_only_leaves_compressed_bytes_unknown() -> None:
    anatomy = analyze(classic(OVERWRITE), compress=False)
    assert anatomy.compressed_bytes is None
    assert all(x.compressed_bytes is None for x in anatomy.layers)
    assert anatomy.efficiency == (50 + 10) / (350 + 10)


def test_a_gzip_oci_blob_counts_its_own_size() -> None:
    anatomy = analyze(oci(OVERWRITE, gz=True), compress=False)
    assert [x.compressed_bytes for x in anatomy.layers] == [
        len(gzip.compress(t, 6, mtime=0)) for t in OVERWRITE
    ]
    assert [x.tar_bytes for x in anatomy.layers] == [len(t) for t in OVERWRITE]
    assert anatomy.dive_wasted_bytes == 350
    layers_gz = sum(len(gzip.compress(t, 6, mtime=0)) for t in OVERWRITE)
    assert anatomy.compressed_bytes == layers_gz + len(config_of(OVERWRITE))


def test_the_config_blob_counts_in_the_compressed_total() -> None:
    anatomy = analyze(classic(OVERWRITE))
    layers_gz = sum(len(gzip_ng.compress(t, 6)) for t in OVERWRITE)
    assert anatomy.compressed_bytes == layers_gz + len(config_of(OVERWRITE))


def test_a_layer_linked_to_another_is_read_through_the_link() -> None:
    layers = [tar_of(reg("a", 10)), tar_of(reg("a", 10))]
    anatomy = analyze(classic(layers, alias_last_to_first=True))
    assert len(anatomy.layers) == 2
    assert anatomy.dive_wasted_bytes == 20


def test_byte_by_byte_arrival_gives_the_same_anatomy() -> None:
    data = oci(DIRECTORY_DELETED)
    assert analyze(data, 1) == analyze(data, 1 << 20)


# -- bad input ---------------------------------------------------------------------------------


def _raises(data: bytes | Iterator[bytes], *needles: str) -> LayerError:
    chunks = chunked(data) if isinstance(data, bytes) else data
    threads = threading.active_count()
    with pytest.raises(LayerError) as caught:
        analyze_stream(chunks, "test/image:1")
    assert threading.active_count() == threads  # no compressor thread outlives the error
    assert isinstance(caught.value, KitError)
    text = str(caught.value)
    assert "test/image:1" in text
    for needle in needles:
        assert needle in text
    return caught.value


@LAYOUTS
def test_a_truncated_stream(layout: Layout) -> None:
    data = layout(OVERWRITE)
    in_manifest = data.rindex(b'[{"Config"') + 10
    for cut in (len(data) // 3, len(data) // 2, in_manifest, in_manifest - 600, 700):
        _raises(data[:cut])


def test_an_empty_stream() -> None:
    _raises(b"")


def test_corrupt_bytes_in_the_archive() -> None:
    data = bytearray(classic(OVERWRITE))
    start = data.index(b"ustar") - 257  # the first header
    data[start : start + 600] = bytes(range(256)) * 2 + bytes(88)
    _raises(bytes(data), "corrupt")


def test_corrupt_bytes_inside_a_layer() -> None:
    layer = bytearray(tar_of(reg("a", 10), reg("b", 2000), reg("c", 10)))
    second = layer.index(b"ustar", 600) - 257
    layer[second : second + 512] = b"\x7f" * 512
    _raises(classic([bytes(layer)]), "layer.tar is truncated or corrupt", "bad tar header")


def test_a_corrupt_gzip_blob() -> None:
    data = bytearray(oci(OVERWRITE, gz=True))
    start = data.index(b"\x1f\x8b\x08")
    data[start + 20 : start + 60] = b"\xff" * 40
    _raises(bytes(data))


def test_random_bytes() -> None:
    _raises(random.Random(1).randbytes(20_000))


@pytest.mark.parametrize(
    "evil", ["../etc/passwd", "./../x", "a/../../x", "/../../root/.ssh/keys", ".."]
)
def test_a_path_that_leaves_the_root_is_refused(evil: str) -> None:
    layer = tar_of(reg("fine", 1), reg(evil, 4))
    error = _raises(classic([layer]), repr(evil), "outside the image root")
    assert "layer.tar" in error.message  # names the member that holds it


def test_a_hard_link_that_leaves_the_root_is_refused() -> None:
    layer = tar_of(reg("fine", 1), hardlink("evil", "../../etc/shadow"))
    _raises(classic([layer]), "outside the image root")


def test_paths_are_normalised() -> None:
    assert clean_path("./usr/bin/", "r", "m") == "usr/bin"
    assert clean_path("/etc//passwd", "r", "m") == "etc/passwd"
    assert clean_path("a/./b/../c", "r", "m") == "a/c"
    assert clean_path("./", "r", "m") == ""
    layer = tar_of(dirent("./"), dirent("./etc/"), reg("./etc/x", 5), reg("/etc/x", 7))
    anatomy = analyze(classic([layer]))
    assert counts(anatomy) == [(1, 0, 0)]  # one path, listed twice: the last one counts
    assert anatomy.layers[0].content_bytes == 12


def test_a_missing_manifest() -> None:
    _raises(classic(OVERWRITE, manifest=False), "manifest.json")


def test_a_manifest_layer_missing_from_the_stream() -> None:
    data = classic(OVERWRITE)
    manifest = _manifest(data)
    broken = data.replace(manifest, manifest.replace(b"layer.tar", b"layxr.tar", 1))
    _raises(broken, "not in the stream")


def _manifest(data: bytes) -> bytes:
    start = data.rindex(b'[{"Config"')
    return data[start : data.index(b"\0", start)]


def test_a_failing_source_is_named_and_closed() -> None:
    closed: list[bool] = []

    def source() -> Iterator[bytes]:
        try:
            yield classic(OVERWRITE)[:5000]
            raise ConnectionResetError("peer went away")
        finally:
            closed.append(True)

    _raises(source(), "broke off", "peer went away")
    assert closed == [True]


def test_stopping_early_closes_the_source() -> None:
    closed: list[bool] = []

    def source() -> Iterator[bytes]:
        try:
            yield from chunked(classic(OVERWRITE, manifest=False))
            yield b"\0" * 1024
            yield from chunked(b"x" * 100_000)  # never read: the archive ended before
        finally:
            closed.append(True)

    _raises(source(), "manifest.json")
    assert closed == [True]


# -- dive itself on the same archives ---------------------------------------------------------


@pytest.mark.parametrize(
    "layers",
    [OVERWRITE, WHITEOUT, DIRECTORY_DELETED, OPAQUE, LINKS],
    ids=["overwrite", "whiteout", "directory", "opaque", "links"],
)
@LAYOUTS
def test_dive_scores_the_same_archives_the_same(
    layers: list[bytes], layout: Layout, tmp_path: Path
) -> None:
    archive, report = tmp_path / "image.tar", tmp_path / "dive.json"
    archive.write_bytes(layout(layers))
    done = subprocess.run(
        [need_dive(), "--source", "docker-archive", str(archive), "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    image = json.loads(report.read_text())["image"]
    anatomy = analyze(archive.read_bytes())
    assert anatomy.efficiency == pytest.approx(image["efficiencyScore"], abs=1e-12)
    assert anatomy.dive_wasted_bytes == image["inefficientBytes"]


def test_prefix_bytes_count_every_layer_even_deleted_files() -> None:
    """apt lists written in one layer and deleted in the next still ship: both count."""
    layers = [
        tar_of(reg("var/lib/apt/lists/a", 100), reg("var/lib/apt/lists/b", 20), reg("etc/x", 7)),
        tar_of(whiteout("var/lib/apt/lists/a"), reg("var/lib/apt/lists/c", 5)),
    ]
    anatomy = analyze_stream(
        chunked(classic(layers)), "t", compress=False, prefixes=("var/lib/apt/lists/", "root/")
    )
    assert dict(anatomy.prefix_bytes) == {"var/lib/apt/lists/": 125, "root/": 0}


def test_an_imported_layer_is_named_by_its_comment() -> None:
    """`docker import` writes no command, only a comment: show that rather than "(missing)"."""
    layers = [tar_of(reg("a", 1))]
    anatomy = analyze(
        classic(layers, [{"created": "2026-01-01T00:00:00Z", "comment": "Imported from -"}])
    )
    assert [x.created_by for x in anatomy.layers] == ["Imported from -"]
