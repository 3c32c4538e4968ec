"""An extra dockerd beside the user's engine: its own data root, pid file and logs in one
directory, its exec root and sockets in a short one of its own (:mod:`kit.host.socketdir`), the
kit's usual flags plus any others (``--registry-mirror=…`` for the Hub stand-in), and nothing left
behind when it stops — no process, no mount, no directory.

:func:`extra_engine` runs one for a ``with`` block and stops it on every exit path, Ctrl-C
included. :class:`ExtraEngine` is the handle: ``start``/``stop`` for one that must outlive the
process that started it (``kit engine up --hub``), :meth:`ExtraEngine.attach` to find it again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from kit.engine import Engine
from kit.errors import EngineError, KitError
from kit.host.apt import apt_install, log_tail
from kit.host.dockerd import DOCKERD_ARGS
from kit.host.procs import alive, comm, mounts_under, processes_using
from kit.host.socketdir import check_socket_path, make_socket_base, socket_dir_for

START_WAIT_S = 60.0
STOP_WAIT_S = 30.0
#: The longest socket path dockerd 20.10 and containerd 1.6 make under the exec root (seen: the
#: others are ``docker.sock``, ``metrics.sock``, ``containerd/containerd.sock``,
#: ``containerd/containerd-debug.sock`` as long as this one, ``libnetwork/<12 hex>.sock``).
LONGEST_SOCKET = "containerd/containerd.sock.ttrpc"


def _dockerd_major() -> int:
    """The installed dockerd's major version ("Docker version 20.10.24+dfsg1, build …")."""
    try:
        out = subprocess.run(["dockerd", "--version"], capture_output=True, text=True).stdout
        return int(out.split("version", 1)[1].strip().split(".", 1)[0])
    except (OSError, IndexError, ValueError):
        return 0


_MSG = re.compile(r'\bmsg="((?:[^"\\]|\\.)*)"')


def last_word(tail: Sequence[str]) -> str:
    """What a dockerd that stopped said last — the ``msg`` of a logrus line, or the line — so
    a failure's one line says why ("… bind: invalid argument"), not only its exit code."""
    for line in reversed(tail):
        if line.strip():
            found = _MSG.search(line)
            return (found.group(1).replace('\\"', '"') if found else line).strip()[:200]
    return ""


class ExtraEngine:
    """One extra dockerd whose files live under ``root``, but for its exec root and sockets:
    those are under a short folder of their own, wherever ``root`` is."""

    def __init__(self, root: Path, extra_args: Sequence[str] = ()) -> None:
        self.root = root
        # Not under root, whose path may be any length: a short folder found again from root.
        self.socket_dir = socket_dir_for(root)
        self.exec_root = self.socket_dir / "exec"
        self.extra_args = tuple(extra_args)

    @property
    def places(self) -> tuple[Path, ...]:
        """Every directory the engine writes to: ``root``, and the short one for its sockets."""
        return (self.root, self.socket_dir)

    @property
    def socket(self) -> Path:
        return self.exec_root / "docker.sock"

    @property
    def docker_host(self) -> str:
        """What ``DOCKER_HOST`` must say to reach this engine."""
        return f"unix://{self.socket}"

    @property
    def pidfile(self) -> Path:
        return self.root / "dockerd.pid"

    @property
    def log(self) -> Path:
        return self.root / "dockerd.log"

    @property
    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    @classmethod
    def attach(cls, root: Path) -> ExtraEngine:
        """The engine started earlier under ``root`` (running or not)."""
        return cls(root)

    @property
    def config_file(self) -> Path:
        return self.root / "daemon.json"

    def command(self) -> list[str]:
        return [
            "dockerd",
            *DOCKERD_ARGS,
            f"--data-root={self.root / 'data'}",
            f"--exec-root={self.exec_root}",
            f"--pidfile={self.pidfile}",
            f"--host={self.docker_host}",
            # Its own daemon.json: the host's (mirrors, insecure registries…) is not this one's.
            f"--config-file={self.config_file}",
            *self.extra_args,
        ]

    def _write_config(self) -> None:
        """dockerd before 23 takes its id from a key file, /etc/docker/key.json unless told:
        engines side by side would share an id (the kit tells engines apart by it). Later ones
        keep the id in the data root, and reject that setting."""
        config: dict[str, str] = {}
        if _dockerd_major() < 23:
            config["deprecated-key-path"] = str(self.root / "key.json")
        self.config_file.write_text(json.dumps(config))

    def start(self, wait_s: float = START_WAIT_S) -> None:
        """Start dockerd and wait until it answers; on failure nothing is left running. A socket
        path too long to bind is refused here, before anything is made or started."""
        for socket in (self.socket, self.exec_root / LONGEST_SOCKET):
            check_socket_path(socket)
        if os.geteuid() != 0:
            raise EngineError(
                "an extra Docker engine can only be started as root",
                hint="run as root, or point DOCKER_HOST at an engine started with "
                "--registry-mirror yourself",
            )
        if shutil.which("dockerd") is None:
            apt_install("docker.io")
        make_socket_base()
        for place in self.places:
            place.mkdir(parents=True, exist_ok=True)
        self._write_config()
        with self.log.open("ab") as out:
            # Its own session: a Ctrl-C at the terminal reaches the kit, which stops it in order.
            proc = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + wait_s
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    tail = log_tail(self.log)
                    why = last_word(tail)
                    raise EngineError(
                        f"the extra dockerd exited with code {proc.returncode}"
                        + (f": {why}" if why else ""),
                        file=self.log,
                        log_tail=tail,
                        cause=why or None,
                    )
                if self.socket.exists() and self.answers():
                    return
                time.sleep(0.3)
            raise EngineError(
                f"the extra dockerd did not answer within {wait_s:g} s",
                file=self.log,
                log_tail=log_tail(self.log),
            )
        except BaseException:
            self.stop(remove=False)
            raise

    def answers(self) -> bool:
        try:
            Engine.connect(timeout=5, base_url=self.docker_host).close()
        except KitError:
            return False
        return True

    def connect(self, timeout: int = 120) -> Engine:
        return Engine.connect(timeout=timeout, base_url=self.docker_host)

    def stop(self, wait_s: float = STOP_WAIT_S, *, remove: bool = True) -> None:
        """Stop dockerd (SIGTERM, then SIGKILL), whatever it left running or mounted, and
        (``remove``) delete ``root``. Safe to call twice, or on an engine that died."""
        main = self.pid
        if main is None:  # killed, or stopped before it wrote its pid file
            main = next((p for p in self._processes() if comm(p) == "dockerd"), None)
        if main is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(main, signal.SIGTERM)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and alive(main):
                time.sleep(0.2)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(main, os.WNOHANG)
        # A dockerd that did not stop in time, or was killed, leaves its containerd and shims
        # behind; each names a path of ours, so none of them is anyone else's.
        for pid in self._processes():
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
                f"{len(left)} mount(s) under {self.root} would not go away",
                hint=f"unmount them (`umount {left[0]}` …), then remove {self.root}",
            )
        if remove:
            for place in self.places:
                shutil.rmtree(place, ignore_errors=True)

    def mounts(self) -> list[str]:
        """Mount points in the engine's directories, deepest first."""
        return sorted(
            (m for place in self.places for m in mounts_under(place)),
            key=lambda p: p.count("/"),
            reverse=True,
        )

    def _processes(self) -> list[int]:
        return sorted({pid for place in self.places for pid in processes_using(place)})


@contextlib.contextmanager
def extra_engine(
    extra_args: Sequence[str] = (), *, parent: Path | None = None
) -> Iterator[ExtraEngine]:
    """An extra dockerd for the ``with`` block, under a fresh directory in ``parent`` (default:
    the system's temp dir); stopped and removed however the block ends."""
    root = Path(tempfile.mkdtemp(prefix="kit-dockerd-", dir=parent))
    engine = ExtraEngine(root, extra_args)
    try:
        engine.start()
        yield engine
    finally:
        engine.stop()
