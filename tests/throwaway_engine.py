"""A throwaway second dockerd for tests that kill or starve an engine: never the machine's main
engine, never another developer's private one.

It runs beside the others with roots of its own (data, exec, pid file, socket) under one temp
folder, like ``/work/shared/README.md`` §11 describes; its life is the kit's own
:class:`kit.host.lifecycle.Dockerd`. ``kill()`` is ``kill -9`` (the daemon stays a zombie until
:meth:`reap`, as after a crash); ``start()`` again brings it back on the same data, over the pid
files the dead one left. ``close()`` stops it and whatever it left (its containerd and shims,
its mounts), and removes the folder.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from kit.engine import Engine
from kit.host.lifecycle import Dockerd, Place


class ThrowawayEngine:
    """One extra dockerd; ``engine`` connects the kit to it."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        # A short path: a unix socket's path must fit in 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="throwaway-dockerd-", dir="/tmp"))
        self.data, self.exec_root = self.root / "data", self.root / "exec"
        self.pidfile, self.socket = self.root / "dockerd.pid", self.root / "docker.sock"
        self.log = self.root / "dockerd.log"
        place = Place(self.socket, self.pidfile, self.data, self.exec_root)
        self.daemon = Dockerd(
            place, self.log, env=env, owns=(self.root,), name="the throwaway dockerd"
        )
        self._engines: list[Engine] = []

    @property
    def url(self) -> str:
        return self.daemon.place.host

    @property
    def pid(self) -> int:
        pid = self.daemon.pid
        assert pid is not None, "the throwaway dockerd is not running"
        return pid

    def start(self) -> ThrowawayEngine:
        self.daemon.start()
        return self

    def engine(self) -> Engine:
        """A kit Engine on this daemon (closed by :meth:`close`)."""
        connected = self.daemon.connect()
        self._engines.append(connected)
        return connected

    def load(self, source: Engine, ref: str) -> None:
        """Copy one image from another engine (``docker save | docker load``)."""
        data = b"".join(source.api.get_image(ref))
        target = self.daemon.connect()
        try:
            said = list(target.api.load_image(data) or ())
        finally:
            target.close()
        errors = [e for e in said if isinstance(e, dict) and ("error" in e or "errorDetail" in e)]
        if errors:
            raise RuntimeError(f"docker load of {ref} into the throwaway engine failed: {errors}")

    def kill(self) -> None:
        """``kill -9`` the daemon; it stays a zombie (we are its parent) until :meth:`reap`."""
        self.daemon.kill()

    def reap(self) -> None:
        self.daemon.reap()

    def restart(self, *, reap: bool = True) -> None:
        """After :meth:`kill`: start again on the same data, clearing the pid files the dead
        daemon left the way ``kit engine up`` does. ``reap=False`` leaves the dead dockerd a
        zombie, as a late-reaping pid 1 does; its containerd is one anyway (pid 1's child)."""
        if reap:
            self.reap()
        self.start()

    def leftovers(self) -> list[int]:
        """Processes still naming this engine's folder (its containerd, shims)."""
        return self.daemon.leftovers()

    def stop(self) -> None:
        for connected in self._engines:
            with contextlib.suppress(Exception):
                connected.close()
        self._engines.clear()
        self.daemon.stop()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


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
