"""Bring a Docker engine up on a bare Debian machine, and down again.

``up`` uses an engine that already answers; otherwise, as root on Debian/Ubuntu, it installs
Debian's ``docker.io`` and starts ``dockerd`` without a bridge, iptables or masquerading: this
workplace forbids private-range addresses, containers under test run with network ``none`` and
builds with the host network. Pid files a crashed dockerd left are recognised as stale (gone,
a zombie, or another program by now) and removed first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from kit.config import state_dir
from kit.engine import Engine
from kit.errors import EngineError
from kit.host.apt import apt_install, log_tail

logger = logging.getLogger("kit")

DOCKERD_ARGS = ("--bridge=none", "--iptables=false", "--ip-masq=false")


@dataclass(frozen=True)
class Place:
    """Where the dockerd the kit starts lives: its socket and pid file (dockerd's defaults), and
    data and exec roots (None: dockerd's own)."""

    socket: Path = Path("/var/run/docker.sock")
    pidfile: Path = Path("/var/run/docker.pid")
    data_root: Path | None = None
    exec_root: Path | None = None

    @property
    def containerd_pidfile(self) -> Path:
        """The pid file of the containerd dockerd starts (under its exec root)."""
        return (self.exec_root or Path("/var/run/docker")) / "containerd" / "containerd.pid"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def args(self) -> list[str]:
        """dockerd's flags beyond :data:`DOCKERD_ARGS`: none for the default place."""
        if self == Place():
            return []
        found = ["-H", self.host, "--pidfile", str(self.pidfile)]
        if self.data_root is not None:
            found += ["--data-root", str(self.data_root)]
        if self.exec_root is not None:
            found += ["--exec-root", str(self.exec_root)]
        return found


#: A module global so that a test can start a throwaway dockerd of its own, never the machine's.
PLACE = Place()
PROC = Path("/proc")


@dataclass(frozen=True)
class EngineStatus:
    started_by_kit: bool
    pid: int | None
    log: Path | None
    version: str


def _pid_alive(pid: int, proc: Path | None = None) -> bool:
    """Whether ``pid`` runs. ``kill(pid, 0)`` is not enough: it succeeds on a zombie (a killed
    dockerd stays one until its parent reaps it, seconds here, since pid 1 reaps late). So the
    state comes from ``/proc/PID/stat``: the field after the parenthesised name, which may itself
    hold spaces or parentheses."""
    try:
        stat = ((proc or PROC) / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return False
    state = stat.rpartition(")")[2].split()[:1]
    return bool(state) and state[0] not in ("Z", "X", "x")


def running(pid: int, name: str, proc: Path | None = None) -> bool:
    """Whether ``pid`` is a live process called ``name``: a pid from an old pid file may belong
    to another program by now, so the name comes from ``/proc/PID/comm``."""
    try:
        comm = ((proc or PROC) / str(pid) / "comm").read_text().strip()
    except (OSError, ValueError):
        return False
    return comm == name and _pid_alive(pid, proc)


def clear_stale_pidfile(path: Path, name: str, proc: Path | None = None) -> bool:
    """Remove ``path`` when the pid it names is gone, a zombie, or not ``name``; True if removed.

    A pid file whose content is not a pid is stale too: the daemon it belonged to wrote a number.
    """
    if not path.exists():
        return False
    pid = _read_pid(path)
    if pid is not None and running(pid, name, proc):
        return False
    path.unlink(missing_ok=True)
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _answers() -> Engine | None:
    try:
        return Engine.connect(timeout=10)
    except EngineError:
        return None


def _serves_place() -> bool:
    """Whether the engine the kit talks to is the one the kit starts: no DOCKER_HOST, or
    DOCKER_HOST naming :data:`PLACE`'s socket."""
    host = os.environ.get("DOCKER_HOST")
    return not host or host == PLACE.host


def up(wait_s: float = 60.0) -> EngineStatus:
    """Use a running engine, or install and start one; idempotent."""
    pidfile = state_dir() / "dockerd.pid"
    ours = _read_pid(pidfile)
    engine = _answers()
    if engine is not None:
        version = engine.info().version
        engine.close()
        # Kit's dockerd serves its own socket; an engine reached through another DOCKER_HOST is
        # someone else's even while kit's own daemon also runs.
        mine = ours is not None and running(ours, "dockerd") and _serves_place()
        return EngineStatus(mine, ours if mine else None, state_dir() / "dockerd.log", version)
    if not _serves_place():
        raise EngineError(
            f"DOCKER_HOST={os.environ['DOCKER_HOST']} does not answer",
            hint="start that engine, or unset DOCKER_HOST to let `kit engine up` start a local one",
        )
    if os.name != "posix" or not Path("/etc/debian_version").exists() or os.geteuid() != 0:
        raise EngineError(
            "no Docker engine answers, and the kit can only start one as root on Debian/Ubuntu",
            hint="start Docker (Docker Desktop, `systemctl start docker`, or rootless dockerd) "
            "or point DOCKER_HOST at a running engine",
        )
    if shutil.which("dockerd") is None:
        apt_install("docker.io")
    # A killed dockerd leaves its pid file, and the next one refuses to start while it names a
    # live process; its containerd's pid file too, and the next dockerd then waits for a
    # containerd that never answers. Right after the crash both pids are zombies.
    for stale, name in ((PLACE.pidfile, "dockerd"), (PLACE.containerd_pidfile, "containerd")):
        if clear_stale_pidfile(stale, name):
            logger.info("removed the stale pid file %s", stale)
    log = state_dir() / "dockerd.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            ["dockerd", *DOCKERD_ARGS, *PLACE.args()],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pidfile.write_text(str(proc.pid))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pidfile.unlink(missing_ok=True)
            raise EngineError(
                f"dockerd exited with code {proc.returncode}", file=log, log_tail=log_tail(log)
            )
        engine = _answers()
        if engine is not None:
            version = engine.info().version
            engine.close()
            return EngineStatus(True, proc.pid, log, version)
        time.sleep(0.5)
    raise EngineError(
        f"dockerd did not answer within {wait_s:g} s", file=log, log_tail=log_tail(log)
    )


def down(wait_s: float = 30.0) -> bool:
    """Stop the dockerd that ``up`` started; never one the kit did not start."""
    pidfile = state_dir() / "dockerd.pid"
    pid = _read_pid(pidfile)
    if pid is None or not running(pid, "dockerd"):
        pidfile.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and running(pid, "dockerd"):
        time.sleep(0.2)
        # Reap it if it is our child; harmless otherwise.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    if running(pid, "dockerd"):
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    return True
