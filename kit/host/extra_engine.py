"""An extra dockerd beside the user's engine: its own data root, pid file and logs in one
directory, its exec root and sockets in a short one of its own (:mod:`kit.host.socketdir`), the
kit's usual flags plus any others (``--registry-mirror=…`` for the Hub stand-in), and nothing left
behind when it stops — no process, no mount, no directory. Its life (start, wait, stop, what it
leaves) is :class:`kit.host.lifecycle.Dockerd`'s; this module is where its files go.

:func:`extra_engine` runs one for a ``with`` block and stops it on every exit path, Ctrl-C
included. :class:`ExtraEngine` is the handle: ``start``/``stop`` for one that must outlive the
process that started it (``kit engine up --hub``), :meth:`ExtraEngine.attach` to find it again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kit.engine import Engine
from kit.errors import EngineError
from kit.host.lifecycle import START_WAIT_S, STOP_WAIT_S, Dockerd, Place, ensure_dockerd
from kit.host.socketdir import check_socket_path, make_socket_base, socket_dir_for

#: The longest socket path dockerd 20.10 and containerd 1.6 make under the exec root (seen: the
#: others are ``docker.sock``, ``metrics.sock``, ``containerd/containerd.sock``,
#: ``containerd/containerd-debug.sock`` as long as this one, ``libnetwork/<12 hex>.sock``).
LONGEST_SOCKET = "containerd/containerd.sock.ttrpc"


def _dockerd_major(binary: Path | None = None) -> int:
    """That dockerd's major version ("Docker version 20.10.24+dfsg1, build …"; default: the
    installed one)."""
    try:
        out = subprocess.run(
            [str(binary or "dockerd"), "--version"], capture_output=True, text=True
        ).stdout
        return int(out.split("version", 1)[1].strip().split(".", 1)[0])
    except (OSError, IndexError, ValueError):
        return 0


class ExtraEngine:
    """One extra dockerd whose files live under ``root``, but for its exec root and sockets:
    those are under a short folder of their own, wherever ``root`` is.

    ``binary`` is the dockerd to run (default: the system's), ``env`` what its environment adds
    (an engine unpacked from Debian's packages finds its containerd through PATH), ``config``
    what its daemon.json holds beyond the kit's own keys (``features``: the containerd image
    store)."""

    def __init__(
        self,
        root: Path,
        extra_args: Sequence[str] = (),
        *,
        binary: Path | None = None,
        env: Mapping[str, str] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.root = root
        self.binary = binary
        self.config = dict(config or {})
        # Not under root, whose path may be any length: a short folder found again from root.
        self.socket_dir = socket_dir_for(root)
        self.exec_root = self.socket_dir / "exec"
        self.extra_args = tuple(extra_args)
        self.daemon = Dockerd(
            Place(
                socket=self.exec_root / "docker.sock",
                pidfile=self.root / "dockerd.pid",
                data_root=self.root / "data",
                exec_root=self.exec_root,
            ),
            self.root / "dockerd.log",
            flags=self._flags(),
            owns=self.places,
            name="the extra dockerd",
            binary=binary,
            env=env,
        )

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
        return self.daemon.pid

    @classmethod
    def attach(cls, root: Path) -> ExtraEngine:
        """The engine started earlier under ``root`` (running or not)."""
        return cls(root)

    @property
    def config_file(self) -> Path:
        return self.root / "daemon.json"

    def _flags(self) -> list[str]:
        return [
            f"--data-root={self.root / 'data'}",
            f"--exec-root={self.exec_root}",
            f"--pidfile={self.pidfile}",
            f"--host={self.docker_host}",
            # Its own daemon.json: the host's (mirrors, insecure registries…) is not this one's.
            f"--config-file={self.config_file}",
            *self.extra_args,
        ]

    def command(self) -> list[str]:
        return self.daemon.command()

    def _write_config(self) -> None:
        """dockerd before 23 takes its id from a key file, /etc/docker/key.json unless told:
        engines side by side would share an id (the kit tells engines apart by it). Later ones
        keep the id in the data root, and reject that setting."""
        config: dict[str, Any] = dict(self.config)
        if _dockerd_major(self.binary) < 23:
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
        if self.binary is None:
            ensure_dockerd()  # before its config: that depends on the version installed
        make_socket_base()
        for place in self.places:
            place.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self.daemon.start(wait_s)

    def answers(self) -> bool:
        return self.daemon.answers()

    def connect(self, timeout: int = 120) -> Engine:
        return self.daemon.connect(timeout)

    def stop(self, wait_s: float = STOP_WAIT_S, *, remove: bool = True) -> None:
        """Stop dockerd and whatever it left running or mounted, and (``remove``) delete its
        directories. Safe to call twice, or on an engine that died."""
        self.daemon.stop(wait_s)
        if remove:
            for place in self.places:
                shutil.rmtree(place, ignore_errors=True)

    def mounts(self) -> list[str]:
        """Mount points in the engine's directories, deepest first."""
        return self.daemon.mounts()


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
