"""The size floor: the bytes of the files a started service really uses (attack surface:
``kit.measure.surface``).

**Floor.** Debian's ``fatrace`` (fanotify, ``-f CROW``) runs on the host from before the container
is created until its probe has passed. For a run of ``sh -c 'cat /etc/hostname'`` on
kitbase/busybox:1 (dockerd 20.10, overlay2, kernel 6.x) it printed, amid the host's own events::

    runc:[2:INIT](477): O   /var/lib/docker/overlay2/<container>/diff    (pivot_root to rootfs)
    runc:[2:INIT](477): WO  /run/docker/runtime-runc/moby/<id>/exec.fifo (often "CWO (deleted)")
    sh(477): RO  /var/lib/docker/overlay2/<layer>/diff/bin/busybox       (the exec)
    cat(477): O   /var/lib/docker/containers/<id>/hostname               (a bind mount)

That is ``comm(pid): TYPES path`` with host pids, and the real file under the *layer* folder that
holds it: overlayfs opens the file below, and the merged mount, made after fatrace marked the
mounts, is never reported. A line counts when its path lies under one of this image's layer
folders or this container's upper or merged folder (the init layer and bind mounts are not the
image's), minus that prefix. Only the container's processes count, as the netlink process
connector tells them: runc's init (a process the connector saw renamed ``runc:[2:INIT]`` that
opens this container's upper folder, or writes its exec.fifo) and every process forked below it.
Where the connector cannot be opened, loses events, or never shows the init, the floor is unknown
with that reason: paths alone would also count another container of the same image. The traced
files and their loader closure (``kit.measure.floor.elf``) are looked up in the image's layers
(whiteouts, opaque folders and symlinks followed inside the image) and summed once per inode.

Limits: a file never opened is missed (only stat'ed, or reached through an inherited fd); a file
opened is counted whole, however little of it is read or mapped; symlinks and folders weigh 0;
reads before the probe passes count, and so do those between its passing and the container's
removal; a fanotify queue overflow on a very busy host drops events; a reused pid that also reads
this image's layers would count. Without root, a local overlay2 engine whose layer folders this
host can read, or fatrace (installed with apt-get as root), the floor is None with the reason.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.engine import RUN_LABEL, Engine
from kit.errors import EngineError, ImageGoneError
from kit.host.apt import apt_install
from kit.inputs.experiment import DEFAULT_LIMITS, Limits, Probe
from kit.measure.floor.elf import ImageFs, loader_closure
from kit.measure.floor.fatrace import (
    Fatrace,
    Procs,
    container_pids,
    parse_fatrace_line,
)
from kit.measure.start import run_trial

SBIN = os.pathsep.join((os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin"))

METHOD = "fatrace+proc-connector"


@dataclass(frozen=True)
class FloorFile:
    path: str
    bytes: int


@dataclass(frozen=True)
class Floor:
    floor_bytes: int | None
    files: tuple[FloorFile, ...]
    method: str
    reason: str | None  # why floor_bytes is None


def _layers(graph: Mapping[str, str]) -> list[str]:
    """An image's layer folders, top first (``UpperDir`` then ``LowerDir``)."""
    lower = str(graph.get("LowerDir") or "")
    return [d for d in (str(graph.get("UpperDir") or ""), *lower.split(":")) if d]


def layer_roots(image: Mapping[str, str], container: Mapping[str, str]) -> tuple[str, ...]:
    """Host folders whose contents are image paths: the image's layers, the container's upper
    and merged folders. The container's init layer (/etc/hosts … placeholders) is left out."""
    roots = [*_layers(image), *(str(container.get(k) or "") for k in ("UpperDir", "MergedDir"))]
    return tuple(dict.fromkeys(r.rstrip("/") for r in roots if r))


def image_path(host_path: str, roots: Sequence[str]) -> str | None:
    for root in roots:
        if host_path == root or host_path.startswith(root + "/"):
            return "/" + host_path[len(root) :].lstrip("/")
    return None


def _untraceable(engine: Engine, graph: Mapping[str, str]) -> str | None:
    if os.geteuid() != 0:
        return "tracing file access needs root (fanotify)"
    info = engine.info()
    if info.storage_driver != "overlay2":
        # The trace maps host paths back to image files through overlay2's layer folders; the
        # containerd store's snapshots are not mapped yet. Say so, never a floor of 0 bytes.
        store = "the containerd image store" if info.containerd_store else "that storage driver"
        return (
            f"engine {info.version} (API {info.api_version}) uses storage driver "
            f"{info.storage_driver!r} ({store}); the floor is traced on overlay2 only: measure "
            "it on an overlay2 engine (e.g. `kit engine up --engine 28 --store overlay2`)"
        )
    host = info.host.split("://", 1)[-1].split(":")[0]
    # The SDK names a unix socket http+docker://localhost, and an ssh:// engine http+docker://ssh.
    if host not in ("localhost", "127.0.0.1", "::1"):
        return f"the engine at {info.host} is not local"
    if not all(os.path.isdir(layer) for layer in _layers(graph)):
        return "the image's layer folders are not on this host (an engine in a VM?)"
    if shutil.which("fatrace", path=SBIN) is None:
        with contextlib.suppress(EngineError):
            apt_install("fatrace")
    if shutil.which("fatrace", path=SBIN) is None:
        return "fatrace is missing and could not be installed with apt-get"
    return None


def measure_floor(
    engine: Engine, image_ref: str, probe: Probe, limits: Limits = DEFAULT_LIMITS
) -> Floor:
    """Start ``image_ref`` once under ``probe`` and sum the image files it used.

    Returns a ``None`` floor with the reason when tracing is impossible; a failing probe raises
    the usual :class:`StartError`.
    """
    inspected = engine.images.inspect(image_ref)
    if inspected is None:
        raise ImageGoneError(f"image {image_ref} does not exist, so its floor cannot be measured")
    graph = inspected.graph_data
    reason = _untraceable(engine, graph)
    binary = shutil.which("fatrace", path=SBIN)
    if reason is not None or binary is None:
        return Floor(None, (), METHOD, reason)
    created: dict[str, Any] = {}

    def track(container: str) -> None:
        created["id"] = container
        created["graph"] = engine.containers.inspect(container).graph_data

    overlay = os.path.dirname(os.path.dirname(_layers(graph)[0]))
    with tempfile.TemporaryDirectory(prefix="kit-floor-") as tmp, contextlib.ExitStack() as stop:
        try:
            procs = Procs()
        except OSError as exc:
            return Floor(None, (), METHOD, f"the process connector cannot be opened: {exc}")
        stop.callback(procs.stop)
        trace = Fatrace(binary, (overlay + "/", "/exec.fifo"), Path(tmp))
        stop.callback(trace.stop)  # callbacks run last first: fatrace stops, then the connector
        if not trace.barrier():
            said = trace.errors.read_text(errors="replace").strip()
            return Floor(None, (), METHOD, f"fatrace reported no event: {said or 'silent'}")
        labels = {RUN_LABEL: f"floor-{secrets.token_hex(4)}"}
        run_trial(
            engine,
            image_ref,
            probe,
            labels,
            trial=0,
            warmup=False,
            track=track,
            untrack=lambda _: None,
            limits=limits,
        )
        complete = trace.barrier()
    if not complete:  # a partial trace would pass for a smaller floor
        return Floor(None, (), METHOD, "fatrace stopped before the run's events were read")
    events = [e for e in map(parse_fatrace_line, trace.lines) if e is not None]
    container: Mapping[str, str] = created["graph"]
    pids = container_pids(events, created["id"], container.get("UpperDir"), procs)
    if isinstance(pids, str):
        return Floor(None, (), METHOD, pids)
    roots = layer_roots(graph, container)
    used = {
        path
        for e in events
        if e.pid in pids and set(e.types) & set("ROC")
        if (path := image_path(e.path, roots)) is not None
    }
    fs = ImageFs(_layers(graph))
    library_path = inspected.env_value("LD_LIBRARY_PATH") or ""
    closure = loader_closure(used, fs.resolve, library_path.split(":"))
    files: list[FloorFile] = []
    inodes: set[tuple[int, int]] = set()
    for path in sorted(closure):
        hit = fs.resolve(path)
        info = os.stat(hit[1]) if hit else None
        if info is not None and (info.st_dev, info.st_ino) not in inodes:
            inodes.add((info.st_dev, info.st_ino))  # a hard link ships once
            files.append(FloorFile(path, info.st_size))
    if not files:
        return Floor(None, (), METHOD, "no file of the image was traced")
    return Floor(sum(f.bytes for f in files), tuple(files), METHOD, None)


def x_floor(size_bytes: int, floor: Floor) -> float | None:
    """How many times its floor the image weighs (None when the floor is unknown)."""
    return size_bytes / floor.floor_bytes if floor.floor_bytes else None
