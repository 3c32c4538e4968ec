"""How an ``http`` probe reaches a container under test, which never shares the host's network.

Host networking would let any process in an image reach every service on the host's loopback
(a registry, JupyterLab …), and an image binding a fixed port would take it on the host. So:

- ``netns`` (as root, with the engine on this host): the container runs with network ``none``;
  the probe enters the container's own network namespace from a helper thread
  (:mod:`kit.host.netns`) and connects to ``127.0.0.1`` there — on ``$PORT`` when something
  listens on it, else on whatever port the app listens on (an app that ignores ``$PORT`` and
  binds ``0.0.0.0:80`` works too).
- ``publish`` (an engine with a ``bridge`` network, e.g. rootless or Docker Desktop): the
  container runs on that network with ``$PORT`` and every port its image ``EXPOSE``\\ s published
  on the engine host's ``127.0.0.1`` only, and the probe connects there. An app must then listen
  on ``0.0.0.0`` inside its container, and the engine's loopback must be this host's.
- otherwise the probe cannot run, and says why (a :class:`StartError`).

Host networking is never used for a container under test (builds keep it: they need the package
mirrors).
"""

from __future__ import annotations

import functools
import http.client
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from kit.engine import Engine
from kit.errors import ContainerExitError, StartError
from kit.host.netns import InNamespace, NetnsUnavailable, listeners, owned_by

#: Passed to every container with an http probe as ``$PORT``: its namespace is its own, so any
#: port is free there, and the same one every time.
PORT = 8080
CONNECT_S = 2.0
Mode = Literal["netns", "publish"]


@dataclass(frozen=True)
class Reach:
    mode: Mode

    @property
    def network(self) -> str:
        return "bridge" if self.mode == "publish" else "none"


def _local(engine: Engine) -> bool:
    info = engine.info()
    host = info.host.split("://", 1)[-1].split(":")[0]
    # The SDK names a unix socket http+docker://localhost; an engine in a VM (Docker Desktop)
    # also answers on a local socket, but under another host name, and its pids are the VM's.
    return host in ("localhost", "127.0.0.1", "::1") and info.name in ("", socket.gethostname())


def choose(engine: Engine) -> Reach:
    """How this engine's containers are probed; a StartError when neither way is open."""
    if os.geteuid() == 0 and _local(engine):
        return Reach("netns")
    if engine.containers.network_exists("bridge"):
        return Reach("publish")
    raise StartError(
        "an http probe needs root on the engine's host (to probe inside the container's own "
        "network namespace) or an engine with a bridge network (to publish the port on "
        "127.0.0.1); this kit never runs a container under test on the host network",
        hint="run the kit as root beside the engine, or use an exit/log probe",
    )


class Connector(Protocol):
    def get(self, path: str) -> tuple[int | None, str]:
        """One GET: the status (None when nothing answered) and what happened, in words."""
        ...

    def close(self) -> None: ...


def _get(host: str, port: int, path: str) -> tuple[int | None, str]:
    conn = http.client.HTTPConnection(host, port, timeout=CONNECT_S)
    try:
        conn.request("GET", path)
        status = conn.getresponse().status
        return status, f"HTTP {status} on port {port}"
    except OSError as exc:
        return None, f"{type(exc).__name__} on port {port}"
    finally:
        conn.close()


class NetnsConnector:
    """GETs made from inside the container's network namespace."""

    def __init__(self, pid: int, container: str) -> None:
        if pid <= 0 or not owned_by(pid, container):
            raise StartError(
                f"the container's process (pid {pid}) is not visible on this host",
                hint="an engine in a VM: give it a bridge network so the port can be published",
            )
        self.pid = pid
        try:
            self._inside = InNamespace(pid)
        except NetnsUnavailable as exc:
            raise StartError(f"cannot probe inside the container: {exc}") from exc

    def get(self, path: str) -> tuple[int | None, str]:
        found = listeners(self.pid)
        if not found:
            return None, "nothing listens in the container's network namespace"
        found.sort(key=lambda x: (x.port != PORT, x.port))
        last: tuple[int | None, str] = (None, "")
        for listener in found:
            try:
                last = self._inside.run(functools.partial(_get, listener.host, listener.port, path))
            except NetnsUnavailable as exc:
                raise StartError(f"cannot probe inside the container: {exc}") from exc
            if last[0] == 200:
                break
        return last

    def close(self) -> None:
        self._inside.close()


class PublishConnector:
    """GETs to the ports the engine published on 127.0.0.1."""

    def __init__(self, published: Mapping[int, int]) -> None:
        if not published:
            raise StartError("the engine published no port of the container")
        self.ports = sorted(published.items(), key=lambda kv: (kv[0] != PORT, kv[0]))

    def get(self, path: str) -> tuple[int | None, str]:
        last: tuple[int | None, str] = (None, "")
        for inside, outside in self.ports:
            status, said = _get("127.0.0.1", outside, path)
            last = status, f"{said} (the container's {inside})"
            if status == 200:
                break
        return last

    def close(self) -> None:
        pass


def connect(engine: Engine, container: str, reach: Reach) -> Connector:
    """A connector to a started container."""
    info = engine.containers.inspect(container)
    if not info.running:
        raise ContainerExitError(
            f"container exited (code {info.exit_code}) before answering an http probe"
        )
    if reach.mode == "publish":
        return PublishConnector(info.published)
    return NetnsConnector(info.pid, info.id)
