"""The builder's version a run records: parsed from ``docker buildx version`` as Debian's and
upstream's buildx print it (both lines copied from the CLIs, 2026-12-07 and buildx's README)."""

from __future__ import annotations

from kit.engine.buildkit import BuildKitCli, buildx_version


def test_buildx_version_lines():
    assert buildx_version("github.com/docker/buildx 0.29.1+ds1 0.29.1+ds1-4\n") == "0.29.1+ds1"
    assert buildx_version("github.com/docker/buildx v0.17.1 257815a\n") == "0.17.1"
    assert buildx_version("") == ""


def test_version_label_names_buildx_or_the_builtin_builder():
    buildx = BuildKitCli("/x/docker", True, "28.5.2+dfsg4", "unix:///s", "", "0.29.1+ds1")
    assert buildx.version_label == "buildx 0.29.1+ds1 (docker CLI 28.5.2+dfsg4)"
    legacy = BuildKitCli("/usr/bin/docker", False, "20.10.24+dfsg1", "unix:///s", "")
    assert legacy.version_label == "docker CLI 20.10.24+dfsg1 (BuildKit built in)"
