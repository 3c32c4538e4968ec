"""The engine: a connection and the parts that speak for it.

Everything the kit asks of a Docker engine goes through an :class:`Engine`, so error translation,
labels and timeouts live in one place, and callers get typed models back, never the API's JSON.
The SDK's low-level ``APIClient`` is used on purpose: the high-level ``containers.run`` hides an
inspect, a log attach and a wait inside what we time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping

import docker
import docker.errors
from docker.context import ContextAPI
from docker.utils import kwargs_from_env

from kit.engine.buildkit import BuildKitCli, find_cli
from kit.engine.builds import Builds
from kit.engine.containers import Containers
from kit.engine.files import Files
from kit.engine.images import Images
from kit.engine.leftovers import Leftovers
from kit.engine.models import EngineInfo
from kit.engine.session import Session, transport_errors
from kit.engine.transfers import Transfers
from kit.errors import EngineError


def docker_host() -> str:
    """Where the SDK connects, as ``DOCKER_HOST`` would say it: the variable, else the current
    docker context's endpoint, else the default socket."""
    params = kwargs_from_env()
    if "base_url" not in params:
        with contextlib.suppress(Exception):
            params.update(ContextAPI.kwargs_from_context())
    host = str(params.get("base_url") or "unix:///var/run/docker.sock")
    return host.replace("http+unix://", "unix://", 1)


def address_of(api: object) -> str | None:
    """The address a docker CLI takes for the engine ``api`` (an SDK ``APIClient``) talks to:
    its unix socket, or its ``tcp://`` URL; None when it cannot tell (a fake, an ssh tunnel).
    The SDK rewrites a socket's URL to ``http+docker://localhost`` and keeps the path in its
    transport adapter, so that is where the socket is read from."""
    socket = getattr(getattr(api, "_custom_adapter", None), "socket_path", None)
    if isinstance(socket, str) and socket:
        return "unix://" + socket
    url = getattr(api, "base_url", None)
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return "tcp://" + url.split("://", 1)[1].rstrip("/")
    return None


class Engine:
    """A connected engine (create with :meth:`connect`), made of its parts:

    ``images`` (inspect, history, save, tag, remove), ``containers`` (create, start, wait,
    inspect, logs), ``builds``, ``files`` (an image's files read without running it),
    ``transfers`` (push, pull). ``host`` is the engine's address as a docker CLI takes it
    (``DOCKER_HOST``): BuildKit builds go through the CLI (:mod:`kit.engine.buildkit`), so it
    must be the engine ``client`` talks to, never merely the environment's: by default it is
    read from the client itself (:func:`address_of`), ``DOCKER_HOST`` only when it cannot be.
    ``leftovers`` sweeps what dead kit processes left.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        host: str | None = None,
        cli_env: Mapping[str, str] | None = None,
    ) -> None:
        self._client = client
        # What a docker CLI driving BuildKit here needs in its environment beyond the kit's
        # (an engine of `kit engine up`: its DOCKER_CONFIG with buildx, its PATH).
        self.cli_env = dict(cli_env or {})
        self.api = client.api
        self.host = host or address_of(client.api) or docker_host()
        session = Session(client.api)
        self.images = Images(session)
        self.containers = Containers(session)
        self.builds = Builds(session, self.buildkit)
        self._buildkit: BuildKitCli | None = None
        self.files = Files(session)
        self.transfers = Transfers(session)
        self._session = session
        self._info: EngineInfo | None = None
        # The data root is looked for in this host's mounts only when the engine is local: a
        # remote engine's path may name a local engine's folder too.
        self.leftovers = Leftovers(
            session,
            lambda: self.info().daemon_id,
            lambda: self.info().root_dir if self.host.startswith("unix://") else "",
        )

    @classmethod
    def connect(
        cls,
        timeout: int = 120,
        base_url: str | None = None,
        cli_env: Mapping[str, str] | None = None,
    ) -> Engine:
        """Connect to ``base_url`` (``unix://…``), else ``DOCKER_HOST`` or the default socket;
        raise if nothing answers. ``cli_env``: what the BuildKit CLI's environment adds for
        this engine (:meth:`kit.host.engines.Running.environ`)."""
        try:
            if base_url is None:
                client = docker.from_env(timeout=timeout)
            else:
                client = docker.DockerClient(base_url=base_url, timeout=timeout)
            client.api.ping()
        except (docker.errors.DockerException, *transport_errors()) as exc:
            where = base_url or os.environ.get("DOCKER_HOST", "the default socket")
            raise EngineError(
                f"no Docker engine answers at {where}",
                hint="run `kit engine up` (starts Debian's dockerd as root), or set DOCKER_HOST",
            ) from exc
        # The address the SDK was given is where BuildKit builds must go too (an extra dockerd,
        # a throwaway one): the environment's DOCKER_HOST names another engine then.
        return cls(client, base_url or docker_host(), cli_env)

    def buildkit(self) -> BuildKitCli:
        """The docker CLI that drives BuildKit on this engine (asked once), or why none can."""
        if self._buildkit is None:
            # The CLI's DOCKER_HOST is always self.host: find_cli and BuildKitCli.env set it last.
            self._buildkit = find_cli(self.host, self.info().version, env=self.cli_env)
        return self._buildkit

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
                root_dir=str(info.get("DockerRootDir") or ""),
                name=str(info.get("Name", "")),
            )
        return self._info
