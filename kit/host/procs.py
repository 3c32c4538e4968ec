"""What a daemon the kit started leaves on the host, found by the directory it was given: the
processes whose command line names a path in it, and the mounts below it."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from kit.util.pids import alive


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below ``root``, deepest first (the order to unmount them in)."""
    prefix = str(root).rstrip("/") + "/"
    found = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            # Spaces in mount points are escaped as \040 in /proc/mounts.
            point = line.split()[1].replace("\\040", " ")
            if point == str(root) or point.startswith(prefix):
                found.append(point)
    return sorted(found, key=lambda p: p.count("/"), reverse=True)


def processes_using(root: Path) -> list[int]:
    """Pids whose command line names a path under ``root``: its dockerd, the containerd that
    dockerd runs and any shim left running (the directory's name is unique to this engine)."""
    needle = (str(root).rstrip("/") + "/").encode()
    mine = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == mine:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(needle in arg for arg in argv):
            found.append(int(entry.name))
    return found


def end_processes_using(root: Path, wait_s: float = 5.0) -> int:
    """SIGTERM every process naming a path under ``root``, SIGKILL those still there after
    ``wait_s``; how many there were."""
    pids = processes_using(root)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
        for pid in pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
    for pid in processes_using(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)
