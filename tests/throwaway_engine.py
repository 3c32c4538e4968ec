"""A throwaway second dockerd for tests that kill or starve an engine: never the machine's main
engine, never another developer's private one.

It runs beside the others with roots of its own (data, exec, pid file, socket) under one temp
folder, like ``/work/shared/README.md`` §11 describes. ``kill()`` is ``kill -9`` (the daemon stays
a zombie until :meth:`reap`, as after a crash); ``start()`` again brings it back on the same data.
``close()`` stops it, stops every process it left (its containerd and shims, found by their
command line naming this engine's folder, ended by pid), unmounts what it left mounted and
removes the folder. The kit's own "extra dockerd" module may replace this later.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import docker

from kit.engine import Engine
from kit.host.dockerd import clear_stale_pidfile

DOCKERD_ARGS = ("--bridge=none", "--iptables=false", "--ip-masq=false")
START_S = 60.0


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains ``text`` (zombies have none, so they never match)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def mounts_under(folder: Path) -> list[str]:
    prefix = str(folder).rstrip("/") + "/"
    points = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    return [p for p in points if p.startswith(prefix) or p == prefix.rstrip("/")]


class ThrowawayEngine:
    """One extra dockerd; ``engine`` connects the kit to it."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        # A short path: a unix socket's path must fit in 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="throwaway-dockerd-", dir="/tmp"))
        self.data, self.exec_root = self.root / "data", self.root / "exec"
        self.pidfile, self.socket = self.root / "dockerd.pid", self.root / "docker.sock"
        self.log = self.root / "dockerd.log"
        self.env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self._engines: list[Engine] = []

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> ThrowawayEngine:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    "dockerd",
                    *DOCKERD_ARGS,
                    "--data-root",
                    str(self.data),
                    "--exec-root",
                    str(self.exec_root),
                    "--pidfile",
                    str(self.pidfile),
                    "-H",
                    self.url,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the throwaway dockerd exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(Exception):
                client = docker.DockerClient(base_url=self.url, timeout=30)
                client.ping()
                client.close()
                return self
            time.sleep(0.3)
        raise RuntimeError(f"the throwaway dockerd did not answer: {self.log.read_text()[-2000:]}")

    def engine(self) -> Engine:
        """A kit Engine on this daemon (closed by :meth:`close`)."""
        connected = Engine(docker.DockerClient(base_url=self.url, timeout=120))
        self._engines.append(connected)
        return connected

    def load(self, source: Engine, ref: str) -> None:
        """Copy one image from another engine (``docker save | docker load``)."""
        data = b"".join(source.api.get_image(ref))
        client = docker.DockerClient(base_url=self.url, timeout=120)
        try:
            said = list(client.api.load_image(data) or ())
        finally:
            client.close()
        errors = [e for e in said if isinstance(e, dict) and ("error" in e or "errorDetail" in e)]
        if errors:
            raise RuntimeError(f"docker load of {ref} into the throwaway engine failed: {errors}")

    def kill(self) -> None:
        """``kill -9`` the daemon; it stays a zombie (we are its parent) until :meth:`reap`."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _zombie_or_gone(self.proc.pid):
            time.sleep(0.05)

    def reap(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)

    def restart(self, *, reap: bool = True) -> None:
        """After :meth:`kill`: start again on the same data, clearing the pid files the dead
        daemon left the way ``kit engine up`` does. ``reap=False`` leaves the dead dockerd a
        zombie, as a late-reaping pid 1 does; its containerd is one anyway (pid 1's child)."""
        if reap:
            self.reap()
        clear_stale_pidfile(self.pidfile, "dockerd")
        clear_stale_pidfile(self.exec_root / "containerd" / "containerd.pid", "containerd")
        self.start()

    def leftovers(self) -> list[int]:
        """Processes still naming this engine's folder (its containerd, shims)."""
        return processes_mentioning(str(self.root))

    def stop(self) -> None:
        for connected in self._engines:
            with contextlib.suppress(Exception):
                connected.close()
        self._engines.clear()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        # A dockerd killed earlier leaves its containerd running; it and its shims were started
        # by this engine, so they are ended here, each by its pid.
        for _ in range(50):
            left = self.leftovers()
            if not left:
                break
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM if _ < 25 else signal.SIGKILL)
            time.sleep(0.2)

    def close(self) -> None:
        self.stop()
        for point in sorted(mounts_under(self.root), key=len, reverse=True):
            subprocess.run(["umount", "-l", point], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _zombie_or_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@contextlib.contextmanager
def throwaway_engine(
    source: Engine | None = None,
    images: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[ThrowawayEngine]:
    """A started throwaway dockerd holding ``images`` copied from ``source``; always removed."""
    made = ThrowawayEngine(env)
    try:
        made.start()
        for ref in images:
            assert source is not None
            made.load(source, ref)
        yield made
    finally:
        made.close()
