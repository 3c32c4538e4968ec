"""One dockerd's life: started with the kit's flags at a given place, waited for until it
answers, killed or stopped, and what it left cleared away — its pid files, and when its
directories are its own, the processes naming them and the mounts under them.

Every dockerd the kit (or its test suite) starts goes through :class:`Dockerd`: ``kit engine
up``/``down`` on the machine's default place, an extra engine beside it
(:mod:`kit.host.extra_engine`: the fresh host, the Hub stand-in), the tests' spare engines.
The flags are defined once, here: this workplace forbids private-range addresses, containers
under test run with network ``none`` and builds with the host network, so no bridge, no
iptables and no masquerading.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kit.engine import Engine
from kit.errors import EngineError, KitError
from kit.host.apt import apt_install, log_tail
from kit.host.procs import mounts_under, processes_using
from kit.util.pids import alive, comm, read_pid, running

DOCKERD_ARGS = ("--bridge=none", "--iptables=false", "--ip-masq=false")
START_WAIT_S = 60.0
STOP_WAIT_S = 30.0
#: How long a SIGKILLed dockerd may take to become a zombie (or vanish).
KILL_WAIT_S = 10.0


@dataclass(frozen=True)
class Place:
    """Where a dockerd lives: its socket and pid file (dockerd's defaults), and data and exec
    roots (None: dockerd's own)."""

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

    def roots(self) -> tuple[Path, ...]:
        """The roots given (the default place's are dockerd's own, shared with nobody's
        knowledge of who else uses them, so never swept)."""
        return tuple(r for r in (self.data_root, self.exec_root) if r is not None)


def clear_stale_pidfile(path: Path, name: str, proc: Path | None = None) -> bool:
    """Remove ``path`` when the pid it names is gone, a zombie, or not ``name``; True if removed.

    A pid file whose content is not a pid is stale too: the daemon it belonged to wrote a number.
    """
    if not path.exists():
        return False
    pid = read_pid(path)
    if pid is not None and running(pid, name, proc):
        return False
    path.unlink(missing_ok=True)
    return True


_MSG = re.compile(r'\bmsg="((?:[^"\\]|\\.)*)"')


def last_word(tail: Sequence[str]) -> str:
    """What a dockerd that stopped said last — the ``msg`` of a logrus line, or the line — so
    a failure's one line says why ("… bind: invalid argument"), not only its exit code."""
    for line in reversed(tail):
        if line.strip():
            found = _MSG.search(line)
            return (found.group(1).replace('\\"', '"') if found else line).strip()[:200]
    return ""


def ensure_dockerd() -> None:
    """Install Debian's ``docker.io`` when no dockerd is on PATH (root on Debian/Ubuntu)."""
    if shutil.which("dockerd") is None:
        apt_install("docker.io")


class Dockerd:
    """A dockerd at ``place``, logging to ``log``.

    ``flags`` are its arguments beyond :data:`DOCKERD_ARGS` (default: ``place.args()``).
    ``record`` is where the pid of the dockerd started is kept (default: the place's pid file,
    which dockerd writes itself; one written for it would make dockerd refuse to start).
    ``owns`` are directories only this dockerd uses (default: the place's roots): what runs
    naming them or is mounted under them is its, and :meth:`stop` ends and unmounts it.
    ``name`` is what its errors call it; ``binary`` the dockerd to run (default: the one on
    PATH, installed from Debian's ``docker.io`` when missing).
    """

    def __init__(
        self,
        place: Place,
        log: Path,
        *,
        flags: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        record: Path | None = None,
        owns: Sequence[Path] | None = None,
        name: str = "dockerd",
        binary: Path | None = None,
    ) -> None:
        self.place = place
        self.log = log
        self.flags = tuple(place.args() if flags is None else flags)
        self.env = dict(env or {})
        self.record = record or place.pidfile
        self.owns = tuple(place.roots() if owns is None else owns)
        self.name = name
        self.binary = binary
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [str(self.binary or "dockerd"), *DOCKERD_ARGS, *self.flags]

    @property
    def pid(self) -> int | None:
        """The pid of this dockerd while it runs (None once it is gone or a zombie)."""
        pid = read_pid(self.record)
        return pid if pid is not None and running(pid, "dockerd") else None

    def answers(self) -> bool:
        try:
            Engine.connect(timeout=5, base_url=self.place.host).close()
        except KitError:
            return False
        return True

    def connect(self, timeout: int = 120) -> Engine:
        return Engine.connect(timeout=timeout, base_url=self.place.host)

    def start(self, wait_s: float = START_WAIT_S, ready: Callable[[], bool] | None = None) -> int:
        """Start dockerd and wait until ``ready`` (default: it answers on its socket); its pid.
        On failure nothing of it is left running, and the error says what dockerd said last."""
        if self.binary is None:
            ensure_dockerd()
        # A killed dockerd leaves its pid file, and the next one refuses to start while it
        # names a live process; its containerd's pid file too, and the next dockerd then waits
        # for a containerd that never answers. Right after the crash both pids are zombies.
        for stale, name in ((self.place.pidfile, "dockerd"), (self.record, "dockerd")):
            clear_stale_pidfile(stale, name)
        clear_stale_pidfile(self.place.containerd_pidfile, "containerd")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            # Its own session: a Ctrl-C at the terminal reaches the kit, which stops it in order.
            proc = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env} if self.env else None,
                start_new_session=True,
            )
        self._proc = proc
        if self.record != self.place.pidfile:
            self.record.write_text(str(proc.pid))
        try:
            self._wait(proc, wait_s, ready or self.answers)
        except BaseException:
            self.stop()
            raise
        return proc.pid

    def _wait(
        self, proc: subprocess.Popen[bytes], wait_s: float, ready: Callable[[], bool]
    ) -> None:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = log_tail(self.log)
                why = last_word(tail)
                raise EngineError(
                    f"{self.name} exited with code {proc.returncode}" + (f": {why}" if why else ""),
                    file=self.log,
                    log_tail=tail,
                    cause=why or None,
                )
            if ready():
                return
            time.sleep(0.3)
        raise EngineError(
            f"{self.name} did not answer within {wait_s:g} s",
            file=self.log,
            log_tail=log_tail(self.log),
        )

    def kill(self) -> None:
        """``kill -9``, as a crash would; returns once it is a zombie (until :meth:`reap`, when
        this process started it) or gone. Its pid files stay, as after a crash."""
        pid = self.pid
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + KILL_WAIT_S
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.05)

    def reap(self) -> None:
        """Wait for the dockerd this process started, once it has ended."""
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=STOP_WAIT_S)

    def stop(self, wait_s: float = STOP_WAIT_S) -> bool:
        """Stop dockerd (SIGTERM, then SIGKILL), whatever it left running or mounted in the
        directories it owns, and the pid record kept for it; whether a dockerd was running.
        Safe to call twice, or on a dockerd that died."""
        main = self.pid
        if main is None:  # killed, or stopped before it wrote its pid file
            main = next((p for p in self.leftovers() if comm(p) == "dockerd" and alive(p)), None)
        if main is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(main, signal.SIGTERM)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and alive(main):
                time.sleep(0.2)
                # Reap it if it is our child; harmless otherwise.
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(main, os.WNOHANG)
            if alive(main):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(main, signal.SIGKILL)
        self._sweep()
        if self.record != self.place.pidfile:
            self.record.unlink(missing_ok=True)
        return main is not None

    def _sweep(self) -> None:
        # A dockerd that did not stop in time, or was killed, leaves its containerd and shims
        # behind; each names a directory of this dockerd's own, so none of them is anyone else's.
        for pid in self.leftovers():
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        for point in self.mounts():
            subprocess.run(["umount", "--lazy", point], capture_output=True)
        left = self.mounts()
        if left:
            # Deleting files through a mount would reach what it shows: never guess.
            raise EngineError(
                f"{len(left)} mount(s) under {', '.join(map(str, self.owns))} would not go away",
                hint=f"unmount them (`umount {left[0]}` …), then remove the directories",
            )

    def leftovers(self) -> list[int]:
        """Processes whose command line names a directory this dockerd owns."""
        return sorted({pid for place in self.owns for pid in processes_using(place)})

    def mounts(self) -> list[str]:
        """Mount points in the directories this dockerd owns, deepest first."""
        return sorted(
            (m for place in self.owns for m in mounts_under(place)),
            key=lambda p: p.count("/"),
            reverse=True,
        )
