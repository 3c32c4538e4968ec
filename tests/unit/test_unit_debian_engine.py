"""Today's engines from Debian's packages: which packages, from which suite, with what apt
options and daemon.json — the pure parts of ``kit engine up --engine N --store S``."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.errors import EngineError, UsageError
from kit.host.debian_engine import (
    RELEASES,
    Unpacked,
    apt_options,
    mirror_of,
    release,
    sources_list,
)
from kit.host.engines import Choice, environ

# The system's own debian.sources on this machine (bookworm image), comments and all.
SYSTEM = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def test_releases_name_the_suites_the_issue_names():
    assert release("26").suite == "trixie"
    assert release("28").suite == "sid"
    for rel in RELEASES.values():
        assert set(rel.packages) == {"docker.io", "docker-cli", "docker-buildx", "containerd"}
        assert "runc" not in rel.packages  # the system's: unstable's needs glibc 2.38


def test_unknown_engine_is_refused_with_the_choices():
    with pytest.raises(EngineError) as exc:
        release("29")
    assert "26, 28" in str(exc.value.hint)


def test_mirror_is_the_systems_first_non_security_source():
    assert mirror_of(SYSTEM) == (
        "http://deb.debian.org/debian",
        "/usr/share/keyrings/debian-archive-keyring.gpg",
    )
    security_only = SYSTEM.split("\n\n", 1)[1].replace("deb.debian.org", "mirror.example")
    assert mirror_of(security_only)[0] == "http://deb.debian.org/debian"  # the default


def test_sources_list_is_one_line_for_the_suite():
    line = sources_list(release("28"), "http://m/debian", "/k.gpg")
    assert line == "deb [signed-by=/k.gpg] http://m/debian sid main\n"


def test_apt_keeps_everything_under_its_home(tmp_path: Path):
    opts = apt_options(tmp_path)
    values = [o.split("=", 1)[1] for o in opts[1::2]]
    assert all(
        v.startswith(str(tmp_path)) for v in values if v.startswith("/") and v != "/dev/null"
    )
    assert "Dir::Etc::SourceParts=/dev/null" in opts
    assert f"Dir::State::status={tmp_path / 'status'}" in opts  # never the system's dpkg state


def test_store_choice_is_the_daemon_config():
    assert Choice("28", "containerd").daemon_config() == {
        "features": {"containerd-snapshotter": True}
    }
    assert Choice("26").daemon_config() == {"storage-driver": "overlay2"}
    assert Choice("26", "containerd").slug == "26-containerd"


def test_unknown_store_or_engine_is_refused():
    with pytest.raises(UsageError):
        Choice("28", "zfs")
    with pytest.raises(EngineError):
        Choice("20")


def test_environ_puts_the_release_cli_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", "/usr/bin")
    unpacked = Unpacked(tmp_path / "root", (), 0, 0.0)
    env = environ(unpacked, "unix:///run/kit/x/exec/docker.sock", tmp_path / "cfg")
    assert env == {
        "DOCKER_HOST": "unix:///run/kit/x/exec/docker.sock",
        "DOCKER_CONFIG": str(tmp_path / "cfg"),
        "PATH": f"{tmp_path / 'root' / 'usr' / 'bin'}:/usr/bin",
    }
    assert unpacked.bin_path.split(":")[:2] == [
        str(tmp_path / "root" / "usr" / "bin"),
        str(tmp_path / "root" / "usr" / "sbin"),
    ]
