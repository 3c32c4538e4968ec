"""kit.inputs.reads: what a variant's build can read of its context, from its parsed Dockerfile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kit.inputs import reads
from kit.inputs.dockerfile import Dockerfile


def wanted(text: str) -> tuple[str, ...]:
    return reads.patterns(Dockerfile.parse(text))


def test_copy_and_add_sources_from_the_context_only() -> None:
    text = (
        "FROM kitbase/busybox:1 AS build\n"
        "COPY ./src/ /src\n"
        "ADD /vendor.tar.gz /opt/\n"
        'COPY ["package.json", "lock.json", "/app/"]\n'
        "ADD https://example.invalid/x.tgz /x\n"
        "FROM kitbase/busybox:1\n"
        "COPY --from=build /src /src\n"
        "COPY --from=kitbase/node:18-full /usr/bin/node /usr/bin/\n"
        "COPY <<EOF /conf\nhello\nEOF\n"
    )
    assert wanted(text) == ("lock.json", "package.json", "src", "vendor.tar.gz")


@pytest.mark.parametrize(
    "text",
    [
        "FROM x\nCOPY . /app\n",
        "FROM x\nCOPY ./ /app\n",
        "FROM x\nCOPY app.js /\nCOPY / /all\n",
        "FROM x\nARG SRC=app\nCOPY ${SRC} /app\n",  # a build arg decides the path
        "FROM x\nRUN --mount=type=bind,target=/ctx ls /ctx\n",  # a bind defaults to the root
    ],
)
def test_what_reads_everything_or_cannot_be_told(text: str) -> None:
    assert wanted(text) == reads.WHOLE


def test_run_mount_binds_from_the_context_but_not_from_stages_or_caches() -> None:
    text = (
        "FROM x AS deps\n"
        "FROM x\n"
        "RUN --mount=source=req.txt,target=/r.txt --mount=type=cache,target=/root/.cache "
        "--mount=type=bind,from=deps,source=/opt,target=/opt "
        "--mount=type=bind,src=./tools,target=/t true\n"
    )
    assert wanted(text) == ("req.txt", "tools")


def test_select_folders_wildcards_and_nothing_else(tmp_path: Path) -> None:
    paths = [
        "Dockerfile.a",
        "Dockerfile.b",
        "src",
        "src/a.js",
        "src/lib",
        "src/lib/b.js",
        "srcs.txt",
        "conf",
        "conf/app.yml",
        "conf/other.txt",
        "top.json",
        "deep/x.json",
    ]
    chosen = reads.select(tmp_path, paths, ("conf/*.yml", "src", "top.json"))
    assert chosen == ["src", "src/a.js", "src/lib", "src/lib/b.js", "conf/app.yml", "top.json"]
    # fnmatch's * crosses "/" where Docker's does not: wider than the build reads, never narrower.
    assert reads.select(tmp_path, paths, ("*.json",)) == ["top.json", "deep/x.json"]
    assert reads.select(tmp_path, paths, ("src/[^a]*",)) == ["src/lib", "src/lib/b.js"]
    assert reads.select(tmp_path, paths, reads.WHOLE) == paths


def test_a_link_on_the_way_reads_the_whole_context(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_text("a")
    os.symlink("real", tmp_path / "alias")
    paths = ["alias", "real", "real/a.txt", "other"]
    assert reads.select(tmp_path, paths, ("alias/a.txt",)) == paths
    assert reads.select(tmp_path, paths, ("real",)) == ["real", "real/a.txt"]
