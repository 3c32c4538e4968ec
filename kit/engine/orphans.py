"""What a BuildKit build leaves on the host when its engine dies mid-step.

dockerd's BuildKit runs a ``RUN`` step in no container of the engine's: it mounts the step's
root filesystem itself (an overlay under ``<data root>/buildkit/executor/<id>/rootfs``, the same
superblock also at ``<data root>/overlay2/<id>/merged``) and starts runc on it. Killed, dockerd
never unmounts them, and a restarted one does not either (seen 2026-11-29 on Docker 20.10); the
step's process lives on, orphaned, in a mount namespace of its own, until it ends by itself.

When the kit finds its engine gone, every such mount under that engine's data root belongs to a
build of the dead engine, so the build's journal records them (:func:`executor_mounts`). The
sweep of that journal (:func:`release`) then ends the processes whose root is one of them and
unmounts them, on the same host only (the engine local, the kit root, as for ``kit engine up``).
A mount found again under another superblock (the restarted engine's own) is left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from pathlib import Path

PROC = Path("/proc")
_MNT_DETACH = 2


def _mountinfo(path: Path) -> list[tuple[str, str]]:
    """``(device, mount point)`` of each mount in a mountinfo file, in mount order."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) > 4:
            found.append((fields[2], fields[4].replace("\\040", " ")))
    return found


def executor_mounts(root_dir: str, proc: Path = PROC) -> list[str]:
    """``device|mount point`` of every BuildKit step root mounted under ``root_dir``, and of
    every other mount of the same filesystem under it (the graph driver's ``merged``)."""
    if not root_dir:
        return []
    top = root_dir.rstrip("/") + "/"
    mounts = _mountinfo(proc / "self" / "mountinfo")
    executor = top + "buildkit/executor/"
    devices = {dev for dev, point in mounts if point.startswith(executor)}
    return [f"{dev}|{point}" for dev, point in mounts if dev in devices and point.startswith(top)]


def _rooted_on(device: str, proc: Path) -> list[int]:
    """Processes (in any mount namespace) whose ``/`` is the filesystem ``device``."""
    found = []
    for entry in proc.iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            roots = [dev for dev, point in _mountinfo(entry / "mountinfo") if point == "/"]
            if roots and roots[-1] == device:
                found.append(int(entry.name))
    return found


def _umount(point: str) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.umount2(point.encode(), _MNT_DETACH)) == 0


def release(recorded: str, proc: Path = PROC) -> int:
    """End the processes rooted on a recorded mount and unmount it (lazily: a process the
    kill has not reaped yet lets go later); 1 if it was unmounted, 0 if it was not there any
    more, or is another filesystem now."""
    device, _, point = recorded.partition("|")
    here = [dev for dev, where in _mountinfo(proc / "self" / "mountinfo") if where == point]
    if not here or here[-1] != device:
        return 0
    for pid in _rooted_on(device, proc):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return 1 if _umount(point) else 0
