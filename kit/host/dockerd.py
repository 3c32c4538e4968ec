"""Bring a Docker engine up on a bare Debian machine, and down again.

``up`` uses an engine that already answers; otherwise, as root on Debian/Ubuntu, it installs
Debian's ``docker.io`` and starts ``dockerd`` without a bridge, iptables or masquerading: this
workplace forbids private-range addresses, and every container the kit runs uses network ``none``
or ``host``.
"""

from __future__ import annotations

import contextlib
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


@dataclass(frozen=True)
class EngineStatus:
    started_by_kit: bool
    pid: int | None
    log: Path | None
    version: str


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs. A killed process stays a zombie until its parent reaps it, and
    ``kill(pid, 0)`` still succeeds on a zombie: /proc tells (state ``Z``)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: believe kill
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _runs(pid: int, command: str) -> bool:
    """Whether ``pid`` is a live ``command`` (a pid file's pid may have been reused since)."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return _pid_alive(pid)  # no /proc: believe kill
    return comm == command and _pid_alive(pid)


def _remove_stale_pidfiles() -> None:
    """A killed dockerd leaves its pid file, and the next one refuses to start while it exists;
    its containerd dies with it but stays a zombie until pid 1 reaps it (seconds, here), and a
    new dockerd that finds containerd's pid file alive waits for that dead containerd's socket
    until it gives up. A pid file whose process does not run (or is a zombie) goes."""
    for path, command in ((PLACE.pidfile, "dockerd"), (PLACE.containerd_pidfile, "containerd")):
        stale = _read_pid(path)
        if stale is not None and not _runs(stale, command):
            path.unlink(missing_ok=True)


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
        mine = ours is not None and _runs(ours, "dockerd") and _serves_place()
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
    _remove_stale_pidfiles()
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
    if pid is None or not _pid_alive(pid):
        pidfile.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.2)
        # Reap it if it is our child; harmless otherwise.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    return True
