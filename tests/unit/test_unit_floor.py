"""The pure parts of kit.measure.floor.trace and kit.measure.floor.elf: no engine, no fatrace."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path
from typing import Any

import pytest
from fake_api import BUSYBOX, FakeAPIClient
from prereq import need_root

from kit.engine import Engine
from kit.inputs.experiment import Probe
from kit.measure.floor import trace as floor
from kit.measure.floor.elf import ImageFs, loader_closure, read_deps
from kit.measure.floor.fatrace import (
    Procs,
    TraceEvent,
    container_pids,
    descendants,
    parse_fatrace_line,
)
from kit.measure.floor.trace import Floor, image_path, layer_roots, x_floor
from kit.measure.surface import count_apk, count_dpkg

OVL = "/var/lib/docker/overlay2"
# GraphDriver.Data of kitbase/busybox:1 and of a container created from it, as inspected here.
IMAGE_GRAPH = {
    "LowerDir": f"{OVL}/dd0a/diff",
    "MergedDir": f"{OVL}/de27/merged",
    "UpperDir": f"{OVL}/de27/diff",
    "WorkDir": f"{OVL}/de27/work",
}
CONTAINER_GRAPH = {
    "LowerDir": f"{OVL}/b5b8-init/diff:{OVL}/de27/diff:{OVL}/dd0a/diff",
    "MergedDir": f"{OVL}/b5b8/merged",
    "UpperDir": f"{OVL}/b5b8/diff",
    "WorkDir": f"{OVL}/b5b8/work",
}


# -- fatrace lines ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "event"),
    [
        (
            f"sh(477): RO  {OVL}/dd0a/diff/bin/busybox\n",
            TraceEvent("sh", 477, "RO", f"{OVL}/dd0a/diff/bin/busybox"),
        ),
        (
            "runc:[2:INIT](20350): WO  /run/docker/runtime-runc/moby/abc/exec.fifo",
            TraceEvent("runc:[2:INIT]", 20350, "WO", "/run/docker/runtime-runc/moby/abc/exec.fifo"),
        ),
        (  # comm may hold spaces and parentheses
            "Web (Content)(12): C   /a b/c (deleted)",
            TraceEvent("Web (Content)", 12, "C", "/a b/c (deleted)"),
        ),
        ("dockerd(27494): +<> /var/lib/x", TraceEvent("dockerd", 27494, "+<>", "/var/lib/x")),
    ],
)
def test_fatrace_lines_parse(line: str, event: TraceEvent) -> None:
    assert parse_fatrace_line(line) == event


@pytest.mark.parametrize(
    "line",
    ["runc:[2:INIT](29472): CWO (deleted)", "", "fatrace: Failed to add watch", "x(1): r /a"],
)
def test_lines_without_a_path_are_skipped(line: str) -> None:
    assert parse_fatrace_line(line) is None


# -- path mapping -------------------------------------------------------------------------------
def test_layer_roots_are_the_image_layers_and_the_containers_upper_and_merged() -> None:
    assert layer_roots(IMAGE_GRAPH, CONTAINER_GRAPH) == (
        f"{OVL}/de27/diff",
        f"{OVL}/dd0a/diff",
        f"{OVL}/b5b8/diff",
        f"{OVL}/b5b8/merged",
    )


def test_a_single_layer_image_has_no_lower_dir() -> None:
    graph = {"UpperDir": f"{OVL}/aa03/diff", "MergedDir": f"{OVL}/aa03/merged"}
    assert layer_roots(graph, {}) == (f"{OVL}/aa03/diff",)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (f"{OVL}/dd0a/diff/bin/busybox", "/bin/busybox"),
        (f"{OVL}/de27/diff/etc/passwd", "/etc/passwd"),
        (f"{OVL}/b5b8/diff/tmp/x", "/tmp/x"),  # upper: mapped, kept only if the image has it
        (f"{OVL}/b5b8/merged/usr/lib/libc.so.6", "/usr/lib/libc.so.6"),
        (f"{OVL}/de27/diff", "/"),
        (f"{OVL}/b5b8-init/diff/etc/hosts", None),  # the engine's placeholders
        (f"{OVL}/dd0a/diffx/bin/busybox", None),  # a prefix of a name is not a folder
        (f"{OVL}/ffff/diff/bin/busybox", None),  # another image's layer
        ("/var/lib/docker/containers/b5b8/hostname", None),  # a bind mount
        ("/usr/lib/x86_64-linux-gnu/libc.so.6", None),  # the host's own files
    ],
)
def test_host_paths_map_to_image_paths(host: str, expected: str | None) -> None:
    assert image_path(host, layer_roots(IMAGE_GRAPH, CONTAINER_GRAPH)) == expected


# -- process tree -------------------------------------------------------------------------------
def test_descendants_follow_forks_below_the_init_only() -> None:
    forks = [(1, 50), (50, 60), (7, 100), (100, 101), (101, 102), (102, 103), (1, 104), (50, 61)]
    # 50 forked 60 before 100 (the init) was born: a reused pid, not a child of the container.
    assert descendants({100}, forks) == {100, 101, 102, 103}
    assert descendants({50}, forks) == {50, 60, 61}
    assert descendants({9}, forks) == {9}


CONTAINER = "c0ffee" * 10 + "abcd"
UPPER = "/var/lib/docker/overlay2/ctr/diff"


def procs(forks: list[tuple[int, int]], inits: set[int], *, lost: bool = False) -> Procs:
    """What the process connector reported, without a socket."""
    found = Procs.__new__(Procs)
    found.forks, found.inits, found.lost = forks, inits, lost
    return found


def event(pid: int, path: str, types: str = "RO") -> TraceEvent:
    return TraceEvent("x", pid, types, path)


def test_the_init_writes_the_exec_fifo_or_opens_the_upper_folder() -> None:
    fifo = event(100, f"/run/docker/runtime-runc/moby/{CONTAINER}/exec.fifo", "WO")
    forks = [(1, 100), (100, 101), (7, 200), (200, 201)]
    assert container_pids([fifo], CONTAINER, UPPER, procs(forks, set())) == {100, 101}
    # Another container's init (200) opens its own upper folder, not ours.
    other = event(200, "/var/lib/docker/overlay2/other/diff", "O")
    mine = event(100, UPPER, "O")
    assert container_pids([other, mine], CONTAINER, UPPER, procs(forks, {100, 200})) == {100, 101}
    # Opening the upper folder counts only for a process the connector saw become runc's init.
    assert isinstance(container_pids([mine], CONTAINER, UPPER, procs(forks, {200})), str)


def test_lost_process_events_give_a_reason_not_a_guess() -> None:
    fifo = event(100, f"/run/docker/runtime-runc/moby/{CONTAINER}/exec.fifo", "WO")
    found = container_pids([fifo], CONTAINER, UPPER, procs([(100, 101)], set(), lost=True))
    assert found == (
        "process events were lost (the process connector's buffer overflowed on a busy host), "
        "so the container's processes cannot be told from the host's"
    )


def test_an_unseen_init_gives_a_reason() -> None:
    reads = [event(100, "/var/lib/docker/overlay2/l1/diff/bin/sh")]
    found = container_pids(reads, CONTAINER, UPPER, procs([(1, 100)], {100}))
    assert found == "the container's init process was not seen, so its processes are unknown"


# -- package databases --------------------------------------------------------------------------
DPKG = """Package: base-files
Status: install ok installed
Priority: required
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy.
 .
 Status: install ok installed (a description line, not a field)

Package: gone
Status: deinstall ok config-files

Package: libc6
Architecture: amd64
Status: install ok installed

Package: held
Status: hold ok installed
"""


def test_dpkg_counts_installed_stanzas_only() -> None:
    assert count_dpkg(DPKG) == 2
    assert count_dpkg("") == 0


def test_apk_counts_package_lines() -> None:
    installed = "C:Q1abc\nP:musl\nV:1.2.4\n\nC:Q1def\nP:busybox\nV:1.36\nD:musl\n\n"
    assert count_apk(installed) == 2


def test_x_floor() -> None:
    assert x_floor(300, Floor(100, (), "fatrace", None)) == 3.0
    assert x_floor(300, Floor(None, (), "fatrace", "no root")) is None


# -- ELF ----------------------------------------------------------------------------------------
def make_elf(
    *,
    wide: bool = True,
    little: bool = True,
    machine: int = 62,
    interp: str | None = None,
    needed: tuple[str, ...] = (),
    runpath: str | None = None,
    path_tag: int = 29,  # DT_RUNPATH; 15 is DT_RPATH
) -> bytes:
    """A minimal ELF: header, LOAD/INTERP/DYNAMIC program headers, strings and dynamic table."""
    end = "<" if little else ">"
    ehsize, phentsize, word = (64, 56, "Q") if wide else (52, 32, "I")
    base = 0x400000
    strtab = b"\0"
    offsets = {}
    for name in (*needed, *([runpath] if runpath else [])):
        offsets[name] = len(strtab)
        strtab += name.encode() + b"\0"
    interp_bytes = interp.encode() + b"\0" if interp else b""
    interp_off = ehsize + 3 * phentsize
    str_off = interp_off + len(interp_bytes)
    dyn_off = str_off + len(strtab)
    tags = [(1, offsets[n]) for n in needed] + ([(path_tag, offsets[runpath])] if runpath else [])
    tags += [(5, base + str_off), (10, len(strtab)), (0, 0)]
    dyn = b"".join(struct.pack(end + ("qQ" if wide else "iI"), t, v) for t, v in tags)
    total = dyn_off + len(dyn)

    def phdr(ptype: int, offset: int, size: int) -> bytes:
        if wide:
            return struct.pack(end + "IIQQQQQQ", ptype, 4, offset, base + offset, 0, size, size, 8)
        return struct.pack(end + "IIIIIIII", ptype, offset, base + offset, 0, size, size, 4, 4)

    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if little else 2, 1]) + b"\0" * 9
    header = ident + struct.pack(end + "HHI", 2, machine, 1)
    header += struct.pack(end + word * 3, 0, ehsize, 0)  # entry, phoff, shoff
    header += struct.pack(end + "IHHHHHH", 0, ehsize, phentsize, 3, 0, 0, 0)
    assert len(header) == ehsize
    phdrs = phdr(1, 0, total) + phdr(3, interp_off, len(interp_bytes)) + phdr(2, dyn_off, len(dyn))
    return header + phdrs + interp_bytes + strtab + dyn


@pytest.mark.parametrize(("wide", "little"), [(True, True), (False, True), (True, False)])
def test_read_deps_finds_interp_needed_and_runpath(wide: bool, little: bool) -> None:
    data = make_elf(
        wide=wide,
        little=little,
        interp="/lib64/ld-linux-x86-64.so.2",
        needed=("libfoo.so.1", "libc.so.6"),
        runpath="$ORIGIN/../lib:/opt/lib",
    )
    deps = read_deps(io.BytesIO(data))
    assert deps is not None
    assert (deps.elf_class, deps.machine) == (2 if wide else 1, 62)
    assert deps.interp == "/lib64/ld-linux-x86-64.so.2"
    assert deps.needed == ("libfoo.so.1", "libc.so.6")
    assert deps.runpath == ("$ORIGIN/../lib", "/opt/lib")
    assert deps.rpath == ()


def test_rpath_is_read_when_there_is_no_runpath() -> None:
    deps = read_deps(
        io.BytesIO(make_elf(needed=("libx.so",), runpath="/opt/a:/opt/b", path_tag=15))
    )
    assert deps is not None and deps.rpath == ("/opt/a", "/opt/b") and deps.runpath == ()


def test_a_static_binary_has_no_deps() -> None:
    deps = read_deps(io.BytesIO(make_elf()))
    assert deps is not None and deps.interp is None and deps.needed == ()


@pytest.mark.parametrize("data", [b"", b"#!/bin/sh\necho hi\n", make_elf(needed=("a",))[:80]])
def test_non_elf_or_truncated_is_none(data: bytes) -> None:
    assert read_deps(io.BytesIO(data)) is None


# -- image paths over layers --------------------------------------------------------------------
def _write(root: Path, path: str, data: bytes = b"x") -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def _link(root: Path, path: str, to: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(to)


def test_symlinks_resolve_inside_the_image(tmp_path: Path) -> None:
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    libc = _write(lower, "/usr/lib/x86_64-linux-gnu/libc.so.6", b"libc")
    _link(lower, "/lib", "usr/lib")  # usrmerge
    _link(upper, "/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-2.36.so")
    ld = _write(upper, "/usr/lib/x86_64-linux-gnu/ld-2.36.so", b"ld")
    _link(upper, "/etc/loop", "/etc/loop")
    _link(upper, "/up", "../../../../..")
    fs = ImageFs([str(upper), str(lower)])
    assert fs.resolve("/lib/x86_64-linux-gnu/libc.so.6") == (
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        libc,
    )
    assert fs.resolve("/lib64/ld-linux-x86-64.so.2") == (
        "/usr/lib/x86_64-linux-gnu/ld-2.36.so",
        ld,
    )
    # An absolute link never leaves the image, and neither does "..".
    assert fs.resolve("/up/usr/lib/x86_64-linux-gnu/libc.so.6") is not None
    assert fs.resolve("/etc/loop") is None
    assert fs.resolve("/usr/lib") is None  # a folder, not a file
    assert fs.resolve("/missing") is None


def test_whiteouts_and_opaque_folders_hide_lower_files(tmp_path: Path) -> None:
    need_root("whiteouts (character devices) and trusted xattrs")
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    _write(lower, "/etc/gone", b"old")
    _write(lower, "/opt/app/old.js", b"old")
    kept = _write(lower, "/etc/kept", b"kept")
    (upper / "etc").mkdir(parents=True)
    os.mknod(upper / "etc" / "gone", 0o600 | 0o020000, os.makedev(0, 0))  # a whiteout
    new = _write(upper, "/opt/app/new.js", b"new")
    os.setxattr(upper / "opt" / "app", "trusted.overlay.opaque", b"y")
    fs = ImageFs([str(upper), str(lower)])
    assert fs.resolve("/etc/gone") is None
    assert fs.resolve("/etc/kept") == ("/etc/kept", kept)
    assert fs.resolve("/opt/app/old.js") is None
    assert fs.resolve("/opt/app/new.js") == ("/opt/app/new.js", new)


def test_loader_closure_adds_interp_and_needed_libraries(tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    interp = "/lib64/ld-linux-x86-64.so.2"
    _write(
        layer,
        "/app/bin/server",
        make_elf(interp=interp, needed=("libapp.so", "libc.so.6"), runpath="$ORIGIN/../lib"),
    )
    _write(layer, "/app/lib/libapp.so", make_elf(interp=interp, needed=("libm.so.6",)))
    _write(
        layer,
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        make_elf(interp=interp, needed=("ld-linux-x86-64.so.2",)),
    )
    _write(layer, "/usr/lib/x86_64-linux-gnu/libm.so.6", make_elf(needed=("libc.so.6",)))
    _write(layer, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", make_elf())
    _link(layer, interp, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    # A 32-bit libm earlier in the search order is not what a 64-bit object loads.
    _write(layer, "/lib/x86_64-linux-gnu/libm.so.6", make_elf(wide=False, machine=3))
    _write(layer, "/app/README", b"not an ELF")
    fs = ImageFs([str(layer)])
    assert loader_closure(["/app/bin/server", "/app/README"], fs.resolve) == {
        "/app/bin/server",
        "/app/README",
        "/app/lib/libapp.so",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    }


# -- when the floor cannot be traced ------------------------------------------------------------
@pytest.fixture()
def as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kit.measure.floor.trace.os.geteuid", lambda: 0)


def _floor(engine: Engine) -> Floor:
    return floor.measure_floor(engine, BUSYBOX, Probe())


def test_no_root_no_floor(fake_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kit.measure.floor.trace.os.geteuid", lambda: 1000)
    result = _floor(fake_engine)
    assert result.floor_bytes is None and result.files == ()
    assert result.reason is not None and "root" in result.reason


@pytest.mark.usefixtures("as_root")
def test_other_storage_driver_no_floor(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    info: dict[str, Any] = {"Driver": "overlayfs", "DriverStatus": []}
    fake_api.info = lambda: info  # type: ignore[method-assign]
    result = _floor(fake_engine)
    assert result.floor_bytes is None and "overlayfs" in str(result.reason)


@pytest.mark.usefixtures("as_root")
def test_remote_engine_no_floor(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    fake_api.base_url = "https://build-box:2376"
    result = _floor(fake_engine)
    assert result.floor_bytes is None and "not local" in str(result.reason)


@pytest.mark.usefixtures("as_root")
def test_layers_not_on_this_host_no_floor(
    fake_engine: Engine, fake_api: FakeAPIClient, tmp_path: Path
) -> None:
    gone = {"UpperDir": str(tmp_path / "no-such-layer" / "diff")}
    fake_api.images_by_ref[BUSYBOX]["GraphDriver"]["Data"] = gone
    result = _floor(fake_engine)
    assert result.floor_bytes is None and "not on this host" in str(result.reason)
    assert result.method == "fatrace+proc-connector"
