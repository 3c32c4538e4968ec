"""kit.host.extra_engine without starting anything: the command line and where its files go, its
sockets short whatever the run id, TMPDIR, working directory or user."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest

from kit.errors import EngineError
from kit.host import extra_engine as extra_module
from kit.host import socketdir
from kit.host.extra_engine import LONGEST_SOCKET, ExtraEngine, extra_engine
from kit.host.lifecycle import DOCKERD_ARGS
from kit.host.socketdir import check_socket_path

#: ``sizeof(sun_path)`` in Linux's unix(7), the terminating NUL included.
SUN_PATH = 108


def _long(base: Path, name: str, at_least: int = 160) -> Path:
    """A new directory under ``base`` whose path is at least ``at_least`` characters long."""
    path = base / (name * 40)
    while len(str(path)) < at_least:
        path = path / (name * 40)
    path.mkdir(parents=True)
    return path


def _bytes(path: Path) -> int:
    return len(os.fsencode(path)) + 1  # with its NUL


@pytest.fixture()
def long_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TMPDIR and the working directory both over 150 characters, as in ``kit batch`` from a
    checkout at a long path."""
    tmp = _long(tmp_path, "t")
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() caches what it found
    assert tempfile.gettempdir() == str(tmp)
    monkeypatch.chdir(_long(tmp_path, "w"))
    return tmp


def test_sockets_stay_short_with_a_long_tmpdir_cwd_and_root(long_tmpdir: Path) -> None:
    root = _long(long_tmpdir, "r")
    assert len(str(root)) > 150 and len(os.getcwd()) > 150
    for engine in (ExtraEngine(root), ExtraEngine(Path("relative") / ("r" * 150))):
        for sock in (engine.socket, engine.exec_root / LONGEST_SOCKET):
            assert _bytes(sock) <= SUN_PATH, sock
        for elsewhere in (engine.root, long_tmpdir, Path.cwd()):
            assert not engine.exec_root.is_relative_to(elsewhere.absolute())
        assert f"--exec-root={engine.exec_root}" in engine.command()
        assert f"--host=unix://{engine.exec_root}/docker.sock" in engine.command()
        assert f"--data-root={engine.root / 'data'}" in engine.command()
        assert engine.places == (engine.root, engine.exec_root.parent)


def test_the_socket_folder_is_found_again_from_the_root_alone(
    long_tmpdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kit engine down --hub`` finds the folder ``kit engine up --hub`` gave the engine: same
    root, another process, another working directory; another root has its own."""
    root = _long(long_tmpdir, "r")
    first = ExtraEngine(root)
    monkeypatch.chdir(tmp_path)
    assert ExtraEngine.attach(root).exec_root == first.exec_root
    assert ExtraEngine(root.parent / "other").exec_root != first.exec_root


def test_the_base_is_fixed_run_for_root_else_tmp_per_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socketdir.os, "access", lambda path, mode: str(path) == "/run")
    assert socketdir.socket_base() == Path("/run/kit")
    monkeypatch.setattr(socketdir.os, "access", lambda path, mode: False)
    monkeypatch.setattr(socketdir.os, "geteuid", lambda: 1234)
    assert socketdir.socket_base() == Path("/tmp/kit-1234")


def test_the_limit_is_sun_path_with_its_nul(tmp_path: Path) -> None:
    """What check_socket_path lets through binds; one byte more is refused. (Python and the
    kernel take a 108-byte path without its NUL too, but Go, so dockerd, does not: "bind:
    invalid argument", the failure this guards against.)"""
    fits = tmp_path / ("s" * (SUN_PATH - 2 - len(os.fsencode(tmp_path))))
    assert _bytes(fits) == SUN_PATH
    check_socket_path(fits)
    with socket.socket(socket.AF_UNIX) as bound:
        bound.bind(str(fits))
    assert fits.is_socket()
    too_long = Path(f"{fits}s")
    with pytest.raises(EngineError) as raised:
        check_socket_path(too_long)
    assert str(too_long) in str(raised.value) and str(SUN_PATH) in str(raised.value)


def test_a_base_too_long_fails_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_base = tmp_path / ("b" * 120)
    monkeypatch.setattr(socketdir, "socket_base", lambda: long_base)
    started: list[Any] = []

    def popen(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        raise AssertionError("dockerd was started")

    monkeypatch.setattr(extra_module.subprocess, "Popen", popen)
    monkeypatch.setattr(extra_module.subprocess, "run", popen)  # `dockerd --version` neither
    monkeypatch.setattr(extra_module.os, "geteuid", lambda: 0)
    parent = tmp_path / "roots"
    parent.mkdir()
    with pytest.raises(EngineError) as raised, extra_engine(parent=parent):
        raise AssertionError("the engine came up")
    message = str(raised.value)
    assert f"{long_base}/" in message and str(SUN_PATH) in message
    assert not started
    assert not long_base.exists()
    assert not list(parent.iterdir())  # its root removed too


def test_someone_elses_base_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a shared /tmp another user may have made /tmp/kit-<uid> first, or a symlink there."""
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "kit-1234"
    link.symlink_to(real)
    monkeypatch.setattr(socketdir, "socket_base", lambda: link)
    with pytest.raises(EngineError, match="not a directory of this user's"):
        socketdir.make_socket_base()
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o777)
    mine.chmod(0o777)
    monkeypatch.setattr(socketdir, "socket_base", lambda: mine)
    assert socketdir.make_socket_base() == mine
    assert mine.stat().st_mode & 0o777 == 0o700


def test_the_main_engines_flags_plus_the_extras() -> None:
    engine = ExtraEngine(Path("/tmp/kit-dockerd-abc"), ("--registry-mirror=http://127.0.0.1:5000",))
    command = engine.command()
    assert command[0] == "dockerd"
    assert command[1 : 1 + len(DOCKERD_ARGS)] == list(DOCKERD_ARGS)
    assert command[-1] == "--registry-mirror=http://127.0.0.1:5000"
    assert "--pidfile=/tmp/kit-dockerd-abc/dockerd.pid" in command
    # its own daemon.json: the host's /etc/docker/daemon.json is not this engine's
    assert "--config-file=/tmp/kit-dockerd-abc/daemon.json" in command


def test_a_dockerd_that_stopped_says_why_on_one_line() -> None:
    from kit.host.lifecycle import last_word

    tail = [
        'time="2026-12-07T00:00:00Z" level=info msg="Starting up"',
        "failed to start daemon: can't create unix socket /x/docker.sock: bind: invalid argument",
        "",
    ]
    assert last_word(tail) == (
        "failed to start daemon: can't create unix socket /x/docker.sock: bind: invalid argument"
    )
    assert last_word(['time="t" level=fatal msg="no \\"key\\" here"']) == 'no "key" here'
    assert last_word([]) == ""
