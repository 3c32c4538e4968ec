"""Reaching into a container's own network namespace from the host, as root on the engine's host.

A container under test runs with network ``none``: loopback only, nothing shared with the host.
To probe a server there, one helper thread of the kit enters the namespace with ``setns(2)``
(through libc: ``os.setns`` exists only from Python 3.12) and makes the connections; only that
thread moves, and it ends with the probe, so no other thread of the kit ever sees the container's
network. What listens there is read from ``/proc/<pid>/net/tcp`` and ``tcp6``, which show the
sockets of that process's namespace, so an app that ignores ``$PORT`` is found on its own port.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import ipaddress
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

CLONE_NEWNET = 0x40000000
PROC = Path("/proc")
_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's st column
T = TypeVar("T")


class NetnsUnavailable(OSError):
    """The namespace cannot be entered (not root, the process is gone, or not this host's)."""


@dataclass(frozen=True, order=True)
class Listener:
    port: int
    host: str  # where to connect from inside the namespace: 127.0.0.1, ::1 or the bound address


def _address(hex_addr: str, v6: bool) -> str:
    raw = bytes.fromhex(hex_addr)
    if not v6:
        return ".".join(str(b) for b in reversed(raw))
    # /proc/net/tcp6 prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def listeners(pid: int, proc: Path = PROC) -> list[Listener]:
    """TCP sockets listening in the network namespace of ``pid`` (empty if it is gone)."""
    found: set[Listener] = set()
    for name, v6 in (("tcp", False), ("tcp6", True)):
        try:
            lines = (proc / str(pid) / "net" / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 4 or fields[3] != _LISTEN:
                continue
            addr, _, port = fields[1].partition(":")
            bound = _address(addr, v6)
            if bound in ("0.0.0.0", "::", "::ffff:0.0.0.0") or bound.startswith("127."):
                host = "127.0.0.1" if not bound.startswith("127.") else bound
            elif bound == "::1":
                host = "::1"
            else:
                host = bound
            found.add(Listener(int(port, 16), host))
    return sorted(found)


def owned_by(pid: int, container_id: str, proc: Path = PROC) -> bool:
    """Whether ``pid`` on this host is the container's process: its cgroup names the container
    (an engine in a VM reports pids of the VM, which mean another process here or none)."""
    try:
        return container_id in (proc / str(pid) / "cgroup").read_text()
    except OSError:
        return False


def _setns(path: Path) -> str | None:
    """Move the calling thread into the namespace at ``path``; the error, if it could not."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        return f"cannot open {path}: {exc.strerror}"
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            return f"setns into {path}: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(fd)
    return None


class InNamespace:
    """One thread inside the network namespace of ``pid``; :meth:`run` calls a function there.

    Use as a context manager: the thread ends on exit (a thread that entered another namespace
    must never be reused for anything else).
    """

    def __init__(self, pid: int, proc: Path = PROC) -> None:
        self.path = proc / str(pid) / "ns" / "net"
        if not os.access(self.path, os.R_OK):
            raise NetnsUnavailable(f"cannot open {self.path} (root on the engine's host needed)")
        self._error: list[str] = []
        self._pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="kit-netns", initializer=self._enter
        )

    def _enter(self) -> None:
        if (error := _setns(self.path)) is not None:
            self._error.append(error)

    def _checked(self, fn: Callable[[], T]) -> T:
        if self._error:  # never run in the host's namespace by mistake
            raise NetnsUnavailable(self._error[0])
        return fn()

    def run(self, fn: Callable[[], T], timeout: float | None = None) -> T:
        return self._pool.submit(self._checked, fn).result(timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> InNamespace:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
