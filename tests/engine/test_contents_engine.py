"""Files and packages of real images, against what other tools say: the docker CLI's export read
by GNU tar, and dpkg-query run inside the image. Then `kit diff` on a tiny app whose difference
is known by construction."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prereq import need_image, unavailable

from kit import cli
from kit.engine import Engine
from kit.measure.contents import INIT_LAYER, image_contents

DOCKER = "/usr/bin/docker"  # Debian's CLI; it honours DOCKER_HOST like the kit does
# GNU tar -tv: mode, owner/group, size, date, time, name [-> target | link to target]
TAR_LINE = re.compile(r"^(\S)\S+ \S+\s+(\d+|\d+,\s*\d+) \S+ \S+ (.*)$")


def docker(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    if not Path(DOCKER).exists():
        unavailable(f"{DOCKER} is missing (Debian's docker.io installs it)")
    return subprocess.run(
        [DOCKER, *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
        env=os.environ,
    )


def tar_listing(image: str) -> dict[str, tuple[str, int, str | None]]:
    """path → (kind, bytes, link target) of every non-directory, from `docker export | tar -tv`."""
    if shutil.which("tar") is None:
        unavailable("GNU tar is missing")
    container = docker("create", "--network", "none", image, "/never-started").stdout.strip()
    try:
        export = subprocess.Popen([DOCKER, "export", container], stdout=subprocess.PIPE)
        listing = subprocess.run(
            ["tar", "--quoting-style=literal", "-tvf", "-"],
            stdin=export.stdout,
            capture_output=True,
            text=True,
            check=True,
        )
        assert export.wait() == 0
    finally:
        docker("rm", "-f", container)
    found: dict[str, tuple[str, int, str | None]] = {}
    for line in listing.stdout.splitlines():
        match = TAR_LINE.match(line)
        assert match, line
        kind, size, name = match.groups()
        target = None
        if kind == "l":
            name, target = name.split(" -> ", 1)
        elif kind == "h":
            name, target = name.split(" link to ", 1)
            target = "/" + target
        if kind == "d" or name.rstrip("/") in INIT_LAYER:
            continue
        found["/" + name] = (kind, int(size) if size.isdigit() else 0, target)
    return found


def test_files_match_the_docker_export_read_by_tar(engine: Engine, no_leaks: None) -> None:
    ref = "kitbase/debian:12"
    need_image(engine, ref)
    kit = image_contents(engine, ref)
    theirs = tar_listing(ref)
    mine = {f.path: f for f in kit.files}
    assert set(mine) == set(theirs)
    kinds = {"file": "-", "symlink": "l", "hardlink": "h"}
    for path, (kind, size, target) in theirs.items():
        entry = mine[path]
        assert kinds.get(entry.kind, kind) == kind, path
        if kind == "-":
            assert entry.bytes == size, path
        else:
            assert entry.bytes == 0 and entry.target == target, path
    assert sum(f.bytes for f in kit.files) > 50 * 10**6  # a Debian base, not an empty list


def test_packages_match_dpkg_query_in_the_image(engine: Engine, no_leaks: None) -> None:
    ref = "kitbase/debian:12"
    need_image(engine, ref)
    kit = image_contents(engine, ref)
    fields = "${db:Status-Status}\t${Package}\t${Version}\t${Installed-Size}\n"
    query = docker("run", "--rm", "--network", "none", ref, "dpkg-query", "-W", "-f", fields).stdout
    theirs = {}
    for line in query.splitlines():
        status, name, version, size = line.split("\t")
        if status == "installed":
            theirs[name] = (version, int(size) * 1024 if size else None)
    assert kit.package_db == "dpkg"
    assert {p.name: (p.version, p.bytes) for p in kit.packages} == theirs
    assert len(theirs) > 50


def test_kit_diff_names_what_one_variant_added(
    check, no_leaks: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    common = ["--profile", "local", "--trials", "1", "--warmups", "0", "--quiet"]
    assert (
        cli.main(["measure", str(check.app_dir("eng-budget")), *common, "--store", str(store)]) == 0
    )
    capsys.readouterr()
    assert cli.main(["diff", "eng-budget", "big", "small", "--store", str(store), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    busybox = tar_listing("kitbase/busybox:1")["/bin/busybox"][1]
    # big = busybox + /ballast (3 MiB of zeros) + /opt/tools/busybox (a copy of /bin/busybox).
    assert [(d["path"], d["files"]) for d in found["dirs"]] == [("/ballast", 1), ("/opt/", 1)]
    assert found["summary"]["bytes_left_out"] == 3 * 2**20 + busybox
    assert found["summary"]["packages_compared"] is False  # busybox has no package database
    assert found["added_dirs"] == []
