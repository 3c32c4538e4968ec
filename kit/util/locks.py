"""Advisory file locks: one writer per result store, one timed measurement per engine, and the
engine's users, whom ``kit clean`` must not pull images and containers from under.

``fcntl`` locks die with their process, so a crashed batch never leaves a lock that blocks the
next one; the holder's pid and host are written into the file only to name it in the error.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import platform
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from kit.config import state_dir
from kit.errors import LockedError

log = logging.getLogger("kit.util.locks")
POLL_S = 0.2


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown"
    except OSError:
        return "unknown"


@contextlib.contextmanager
def file_lock(path: Path, *, what: str, timeout_s: float | None) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; wait up to ``timeout_s`` (None: for ever)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise LockedError(
                        f"{what} is locked by {_holder(path)} (waited {timeout_s:.0f} s)",
                        file=path,
                        hint="wait for the other run to finish, or point this one elsewhere",
                    ) from None
                if not told:
                    log.info("waiting for %s, held by %s", what, _holder(path))
                    told = True
                time.sleep(POLL_S)
        # The holder's name only serves the waiting side's message: a full disk must not fail
        # the lock that guards the write that will then report the full disk properly.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()} on {platform.node()}".encode())
        yield
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)


def engine_lock(engine_host: str) -> contextlib.AbstractContextManager[None]:
    """Serialise the timed steps on one engine: parallel builds or starts would skew each other.

    Keyed by the engine's address, so workers driving different engines never wait on each other.
    """
    digest = hashlib.sha256(engine_host.encode()).hexdigest()[:16]
    return file_lock(
        state_dir() / "locks" / f"engine-{digest}.lock",
        what=f"the engine at {engine_host}",
        timeout_s=None,
    )


def _use_paths(engine_key: str) -> tuple[Path, Path]:
    digest = hashlib.sha256(engine_key.encode()).hexdigest()[:16]
    folder = state_dir() / "locks"
    return folder / f"engine-{digest}.use", folder / f"engine-{digest}.users"


@contextlib.contextmanager
def engine_in_use(engine_key: str, what: str) -> Iterator[None]:
    """Held for the whole of a run or a batch on one engine (shared: runs never wait on each
    other), so that :func:`engine_idle` knows the engine has users, and who they are."""
    gate, users = _use_paths(engine_key)
    users.mkdir(parents=True, exist_ok=True)
    gate_fd = os.open(gate, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(gate_fd, fcntl.LOCK_SH)  # waits only while a `kit clean` is removing
        me = users / f"{os.getpid()}-{secrets.token_hex(4)}"
        fd = os.open(me, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, f"pid {os.getpid()} on {platform.node()}: {what}".encode())
            yield
        finally:
            me.unlink(missing_ok=True)
            os.close(fd)
    finally:
        os.close(gate_fd)


def engine_users(engine_key: str) -> list[str]:
    """Who holds :func:`engine_in_use` on this engine now (a user's file whose lock is held)."""
    _, users = _use_paths(engine_key)
    found = []
    for path in sorted(users.glob("*")) if users.is_dir() else []:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # its user just ended
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            found.append(_holder(path))
        finally:
            os.close(fd)
    return found


@contextlib.contextmanager
def engine_idle(engine_key: str, what: str) -> Iterator[None]:
    """Hold the engine with no run or batch using it (new ones wait until this ends); a
    :class:`LockedError` naming the users when there are any."""
    gate, users = _use_paths(engine_key)
    gate.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(gate, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holders = "; ".join(engine_users(engine_key)) or "another process"
            raise LockedError(
                f"{what}: the engine is in use by {holders}",
                file=gate,
                hint="wait for it to finish, or pass --force to remove what it uses anyway",
            ) from None
        # No user holds the gate now, so every user's file left is a killed process's.
        for stale in users.glob("*") if users.is_dir() else []:
            stale.unlink(missing_ok=True)
        yield
    finally:
        os.close(fd)
