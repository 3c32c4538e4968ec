"""Who opened which file while a container started: fatrace's lines, read as they come, and the
netlink process connector's forks, which tell the container's processes from the host's. The
method and its limits are described in :mod:`kit.measure.floor.trace`, which sums what is found
here."""

from __future__ import annotations

import contextlib
import errno
import re
import socket
import struct
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"(?P<comm>.*?)\((?P<pid>\d+)\): (?P<types>[A-Z+<>]+) +(?P<path>/.*)")
BARRIER_S = 10.0
INIT_COMM = b"runc:[2:INIT]"  # what runc's init calls itself (prctl) until it execs the command


@dataclass(frozen=True)
class TraceEvent:
    comm: str
    pid: int
    types: str
    path: str


def parse_fatrace_line(line: str) -> TraceEvent | None:
    match = _LINE.fullmatch(line.rstrip("\n"))
    if match is None:
        return None
    return TraceEvent(match["comm"], int(match["pid"]), match["types"], match["path"])


def descendants(roots: set[int], forks: Sequence[tuple[int, int]]) -> set[int]:
    """``roots`` and every process forked below them; ``forks`` are (parent, child) in order.

    Forks before a root's own birth are skipped, so an earlier owner of a reused pid is not
    mistaken for it."""
    born = [i for i, (_, child) in enumerate(forks) if child in roots]
    found = set(roots)
    for parent, child in forks[min(born, default=0) :]:
        if parent in found:
            found.add(child)
    return found


class Fatrace:
    """fatrace as a child, its lines matching ``keep`` collected by a reader thread."""

    def __init__(self, binary: str, keep: tuple[str, ...], folder: Path) -> None:
        self.lines: list[str] = []
        self._canary, self._seen = folder / "canary", threading.Event()
        self._canary.write_text("kit")
        self.errors = folder / "fatrace.err"
        with self.errors.open("wb") as errors:
            self._proc = subprocess.Popen(
                [binary, "-f", "CROW"], stdout=subprocess.PIPE, stderr=errors
            )
        self._reader = threading.Thread(target=self._read, args=(keep,), daemon=True)
        self._reader.start()

    def _read(self, keep: tuple[str, ...]) -> None:
        assert self._proc.stdout is not None
        for raw in self._proc.stdout:
            line = raw.decode("utf-8", "replace")
            if str(self._canary) in line:
                self._seen.set()
            elif any(k in line for k in keep):
                self.lines.append(line)

    def barrier(self) -> bool:
        """Read the canary until fatrace reports it: every earlier event has then been read."""
        self._seen.clear()
        for _ in range(int(BARRIER_S / 0.05)):
            self._canary.read_bytes()
            if self._seen.wait(0.05) or self._proc.poll() is not None:
                break
        return self._seen.is_set()

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(5)


class Procs:
    """Forks, and which processes became runc's container init, from the netlink process
    connector: fanotify names a process only by its pid."""

    def __init__(self) -> None:
        self.forks: list[tuple[int, int]] = []  # (parent, child), in order
        self.inits: set[int] = set()
        self.lost = False
        self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 11)  # NETLINK_CONNECTOR
        with contextlib.suppress(OSError):  # a busy host forks fast: a larger buffer drops less
            self._sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
        self._sock.bind((0, 1))  # CN_IDX_PROC
        listen = struct.pack("=IIIIHHI", 1, 1, 0, 0, 4, 0, 1)  # cn_msg + PROC_CN_MCAST_LISTEN
        self._sock.send(struct.pack("=IHHII", 16 + len(listen), 3, 0, 0, 0) + listen)
        self._sock.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        draining = False
        while True:
            if not draining and self._stopping.is_set():
                # Read what is queued now, then end: a busy host never pauses for a timeout.
                draining = True
                self._sock.setblocking(False)
            try:
                data = self._sock.recv(1 << 16)
            except TimeoutError:
                continue
            except BlockingIOError:
                return  # stopped, and every event queued until then was read
            except OSError as exc:
                self.lost = True  # ENOBUFS: the kernel dropped events; else nothing more is read
                if exc.errno != errno.ENOBUFS:
                    return
                continue
            # nlmsghdr (16) + cn_msg (20) + proc_event (what, cpu, timestamp: 16) + the body.
            what = struct.unpack_from("=I", data, 36)[0] if len(data) >= 76 else 0
            if what == 1:  # PROC_EVENT_FORK: parent pid, tgid, child pid, tgid
                _, parent, _, child = struct.unpack_from("=IIII", data, 52)
                self.forks.append((parent, child))
            elif what == 0x200 and data[60:76].startswith(INIT_COMM):  # PROC_EVENT_COMM
                self.inits.add(struct.unpack_from("=I", data, 56)[0])

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(2)
        if self._thread.is_alive():  # events came faster than they could be read
            self.lost = True
        self._sock.close()


def container_pids(
    events: list[TraceEvent], container: str, upper: str | None, procs: Procs
) -> set[int] | str:
    """The container's processes, or why they cannot be told from the host's.

    The init is the process that writes this container's exec.fifo (when fatrace names it before
    runc unlinks it) or an init that opens this container's upper folder: pivot_root into the
    merged root shows up there. Without every fork since, a reader of the image's layers could be
    the container's or anyone's (another container of the same image reads the same folders), so
    lost events give a reason, never a guess."""
    if procs.lost:
        return (
            "process events were lost (the process connector's buffer overflowed on a busy "
            "host), so the container's processes cannot be told from the host's"
        )
    fifo = f"/{container}/exec.fifo"
    init = {e.pid for e in events if fifo in e.path and "W" in e.types}
    init |= procs.inits & {e.pid for e in events if e.path == upper}
    if not init:
        return "the container's init process was not seen, so its processes are unknown"
    return descendants(init, procs.forks)
