"""What an image holds, read from a hand-made filesystem tar, and what one variant has that
another lacks — every expected number worked out by hand from the files written here."""

from __future__ import annotations

import io
import tarfile
from dataclasses import replace

import pandas as pd
import pytest
from results_factory import image_row, results

from kit.errors import ResultsError, UsageError
from kit.measure.contents import parse_apk, parse_dpkg, read_contents
from kit.model.rows import FileRow, PackageRow
from kit.views import contents

DPKG = """Package: gcc-12
Status: install ok installed
Installed-Size: 70000
Version: 12.2.0-14
Description: the compiler
 a continuation line: Package: not-a-package

Package: removed-one
Status: deinstall ok config-files
Installed-Size: 10
Version: 1

Package: libc6
Status: install ok installed
Version: 2.36-9
Installed-Size: 12000
"""


def tar_of(entries: list[tuple[str, str, bytes | str]]) -> tarfile.TarFile:
    """A streaming tar like the engine's export: (name, kind, data or link target)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "file":
                body = data.encode() if isinstance(data, str) else data
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
            else:
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = str(data)
                tar.addfile(info)
    raw.seek(0)
    return tarfile.open(fileobj=raw, mode="r|")


def test_files_and_dpkg_packages_from_one_stream() -> None:
    found = read_contents(
        tar_of(
            [
                ("bin", "dir", b""),
                ("bin/sh", "symlink", "dash"),
                ("bin/dash", "file", b"x" * 1000),
                ("usr/bin/dash2", "hardlink", "bin/dash"),
                (".dockerenv", "file", b""),
                ("etc/hosts", "file", b"127.0.0.1 localhost\n"),
                ("var/lib/dpkg/status", "file", DPKG),
            ]
        )
    )
    by_path = {f.path: (f.bytes, f.kind, f.target) for f in found.files}
    assert by_path == {
        "/bin/sh": (0, "symlink", "dash"),
        "/bin/dash": (1000, "file", None),
        "/usr/bin/dash2": (0, "hardlink", "/bin/dash"),  # its bytes count once, on the first name
        "/var/lib/dpkg/status": (len(DPKG), "file", None),
    }  # the engine's init-layer files (/.dockerenv, /etc/hosts) are not the image's
    assert found.package_db == "dpkg"
    assert [(p.name, p.version, p.bytes) for p in found.packages] == [
        ("gcc-12", "12.2.0-14", 70000 * 1024),
        ("libc6", "2.36-9", 12000 * 1024),
    ]


def test_distroless_status_d_and_apk_and_no_database() -> None:
    stanza = "Package: libssl3\nVersion: 3.0\nInstalled-Size: 5\n"
    found = read_contents(
        tar_of(
            [
                ("var/lib/dpkg/status.d/libssl3", "file", stanza),
                ("var/lib/dpkg/status.d/libssl3.md5sums", "file", "abc  /x\n"),
            ]
        )
    )
    assert found.package_db == "dpkg"
    assert [(p.name, p.bytes) for p in found.packages] == [("libssl3", 5120)]
    apk = "P:musl\nV:1.2.4\nI:622592\n\nP:busybox\nV:1.36\nI:950272\n"
    assert [(p.name, p.version, p.bytes) for p in parse_apk(apk)] == [
        ("musl", "1.2.4", 622592),
        ("busybox", "1.36", 950272),
    ]
    bare = read_contents(tar_of([("app", "file", b"12345")]))
    assert bare.package_db is None and bare.packages == ()
    assert parse_dpkg("Package: x\nStatus: install ok installed\n")[0].bytes is None


def run_with_contents() -> object:
    files = {
        "full": [
            ("/usr/lib/gcc/x/cc1", 30_000_000),
            ("/usr/lib/gcc/x/lto", 10_000_000),
            ("/usr/lib/libc.so", 2_000_000),
            ("/usr/lib/libgit.so", 1_000_000),
            ("/usr/share/doc/git/README", 5_000),
            ("/app/server.js", 100),
        ],
        "slim": [
            ("/usr/lib/libc.so", 2_000_000),
            ("/usr/share/doc/libc/README", 4_000),
            ("/app/server.js", 120),
            ("/app/extra.js", 50),
        ],
    }
    packages = {
        "full": [("gcc-12", 70_000_000), ("git", 40_000_000), ("libc6", 12_000_000)],
        "slim": [("libc6", 12_000_000), ("tini", 100_000)],
    }
    run = results(
        [
            image_row("full", size_bytes=50_000_000, package_db="dpkg"),
            image_row("slim", size_bytes=5_000_000, package_db="dpkg"),
            image_row("closure", size_bytes=3_000_000, package_db=None),
        ]
    )
    return replace(
        run,
        file_rows=(
            *(
                FileRow("tiny", v, path, size, "file")
                for v, rows in files.items()
                for path, size in rows
            ),
            FileRow("tiny", "closure", "/app/server.js", 100, "file"),
        ),
        package_rows=tuple(
            PackageRow("tiny", v, name, "1", size)
            for v, rows in packages.items()
            for name, size in rows
        ),
    )


def test_what_slim_removed_gathered_into_directories() -> None:
    run = run_with_contents()
    dirs = contents.diff(run, "full", "slim")
    # slim has none of full's paths under /usr/lib/gcc/ or /usr/share/ (its own doc file is
    # not full's), so each is one place; it has /usr/lib/libc.so, so libgit.so stands alone;
    # /app/server.js is in both.
    assert dirs.to_dict("records") == [
        {"path": "/usr/lib/gcc/", "files": 2, "size_MB": 40.0},
        {"path": "/usr/lib/libgit.so", "files": 1, "size_MB": 1.0},
        {"path": "/usr/share/", "files": 1, "size_MB": 0.01},
    ]
    packages = contents.diff(run, "full", "slim", what="packages")
    assert list(packages["package"]) == ["gcc-12", "git"]
    assert list(packages["size_MB"]) == [70.0, 40.0]
    files = contents.diff(run, "full", "slim", what="files", top=1)
    assert files.to_dict("records") == [
        {"path": "/usr/lib/gcc/x/cc1", "kind": "file", "size_MB": 30.0}
    ]


def test_defaults_and_the_summary_table() -> None:
    run = run_with_contents()
    # Default: the largest against the smallest; for packages, the smallest with a database.
    assert list(contents.diff(run)["path"])[:1] == ["/usr/"]  # closure has nothing under /usr
    assert list(contents.diff(run, what="packages")["package"]) == ["gcc-12", "git"]
    table = contents.table(run)
    assert list(table["variant"]) == ["closure", "slim"]
    slim = table[table["variant"] == "slim"].iloc[0]
    assert slim["files full has, it lacks"] == 4 and slim["their MB"] == pytest.approx(
        41.005, abs=0.01
    )
    assert slim["packages full has, it lacks"] == 2 and slim["files it adds"] == 2
    closure = table[table["variant"] == "closure"].iloc[0]
    assert pd.isna(closure["packages full has, it lacks"])  # closure has no package database
    assert contents.facts(run).splitlines() == [
        "full vs slim: largest packages left out: gcc-12, git",
        "full vs slim: packages added: 1",
    ]
    text = contents.narrate(run, "full", "closure")
    assert "closure has no package database" in text and "**43 MB**" in text


def test_a_variant_without_a_file_list_is_an_error() -> None:
    run = run_with_contents()
    with pytest.raises(ResultsError, match="no file list for nope"):
        contents.diff(run, "full", "nope")
    with pytest.raises(UsageError, match="two different variants"):
        contents.diff(run, "full", "full")
    with pytest.raises(ResultsError, match="listed: none"):
        contents.table(results([image_row("a")]))


def test_a_file_under_another_alias_of_a_directory_is_not_a_difference() -> None:
    merged = [  # usrmerge: /lib links to usr/lib
        FileRow("tiny", "full", "/lib", 0, "symlink", "usr/lib"),
        FileRow("tiny", "full", "/usr/lib/x/libnode.so", 47_000_000, "file"),
        FileRow("tiny", "full", "/usr/lib/x/libgcc.so", 1_000_000, "file"),
        FileRow("tiny", "full", "/loop", 0, "symlink", "/loop/again"),
    ]
    copied = [  # a scratch image with the loader's paths as real directories
        FileRow("tiny", "closure", "/lib/x/libnode.so", 47_000_000, "file"),
        FileRow("tiny", "closure", "/loop/file", 5, "file"),
    ]
    run = replace(
        results(
            [
                image_row("full", size_bytes=50_000_000),
                image_row("closure", size_bytes=47_000_000, package_db=None),
            ]
        ),
        file_rows=(*merged, *copied),
    )
    found = contents.diff(run, "full", "closure", what="files", top=None)
    # full's libnode.so is also /lib/x/libnode.so there, which closure has; its /lib and /loop
    # links stand where closure has directories of those names.
    assert list(found["path"]) == ["/usr/lib/x/libgcc.so"]
    # Gathered by the highest directory closure has nothing under by any name: /usr/lib/x is
    # /lib/x in full, which closure has, so the file stands alone.
    assert list(contents.diff(run, "full", "closure")["path"]) == ["/usr/lib/x/libgcc.so"]
    back = contents.diff(run, "closure", "full", what="files", top=None)
    # full resolves /lib/x/libnode.so through its /lib link; its /loop is a loop, not a dir.
    assert list(back["path"]) == ["/loop/file"]
