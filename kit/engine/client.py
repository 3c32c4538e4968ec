"""The engine: a connection and the parts that speak for it.

Everything the kit asks of a Docker engine goes through an :class:`Engine`, so error translation,
labels and timeouts live in one place, and callers get typed models back, never the API's JSON.
The SDK's low-level ``APIClient`` is used on purpose: the high-level ``containers.run`` hides an
inspect, a log attach and a wait inside what we time.
"""

from __future__ import annotations

import os

import docker
import docker.errors

from kit.engine.builds import Builds
from kit.engine.containers import Containers
from kit.engine.files import Files
from kit.engine.images import Images
from kit.engine.leftovers import Leftovers
from kit.engine.models import EngineInfo
from kit.engine.session import Session, transport_errors
from kit.engine.transfers import Transfers
from kit.errors import EngineError


class Engine:
    """A connected engine (create with :meth:`connect`), made of its parts:

    ``images`` (inspect, history, save, tag, remove), ``containers`` (create, start, wait,
    inspect, logs), ``builds``, ``files`` (an image's files read without running it),
    ``transfers`` (push, pull) and ``leftovers`` (what dead kit processes left, swept).
    """

    def __init__(self, client: docker.DockerClient) -> None:
        self._client = client
        self.api = client.api
        session = Session(client.api)
        self.images = Images(session)
        self.containers = Containers(session)
        self.builds = Builds(session)
        self.files = Files(session)
        self.transfers = Transfers(session)
        self._session = session
        self._info: EngineInfo | None = None
        self.leftovers = Leftovers(session, lambda: self.info().daemon_id)

    @classmethod
    def connect(cls, timeout: int = 120) -> Engine:
        """Connect to ``DOCKER_HOST`` or the default socket; raise if nothing answers."""
        try:
            client = docker.from_env(timeout=timeout)
            client.api.ping()
        except (docker.errors.DockerException, *transport_errors()) as exc:
            where = os.environ.get("DOCKER_HOST", "the default socket")
            raise EngineError(
                f"no Docker engine answers at {where}",
                hint="run `kit engine up` (starts Debian's dockerd as root), or set DOCKER_HOST",
            ) from exc
        return cls(client)

    def close(self) -> None:
        self._client.close()

    def info(self) -> EngineInfo:
        if self._info is None:
            version = self._session.call(self.api.version)
            info = self._session.call(self.api.info)
            status = {k: v for k, v in info.get("DriverStatus") or []}
            driver = info.get("Driver", "")
            self._info = EngineInfo(
                version=version.get("Version", ""),
                api_version=version.get("ApiVersion", ""),
                storage_driver=driver,
                # The containerd image store reports sizes differently (moby #53398).
                containerd_store=driver.startswith("io.containerd")
                or ("driver-type" in status and "containerd" in str(status.get("driver-type"))),
                host=self.api.base_url,
                daemon_id=str(info.get("ID", "")),
                name=str(info.get("Name", "")),
            )
        return self._info
