"""The one choke point for Docker engine calls.

Everything the kit asks of the engine goes through :class:`Engine`, so error translation, labels
and timeouts live in one place. The SDK's low-level ``APIClient`` is used on purpose: the
high-level ``containers.run`` hides an inspect, a log attach and a wait inside what we time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions

from kit.engine_base import (
    BATCH_LABEL,
    LOG_TAIL_LINES,
    MANAGED,
    REPOSITORIES,
    RUN_LABEL,
    batch_labels,
    transport_errors,
)
from kit.engine_build import BUILD_CANCEL_S, BuildStream, ImageBuilds
from kit.engine_files import ImageFiles
from kit.engine_registry import RegistryTransfers
from kit.errors import EngineError, EngineGoneError

# Defined in the mixins' modules, used from here: ``kit.engine`` is where callers import them.
__all__ = [
    "BATCH_LABEL",
    "BUILD_CANCEL_S",
    "LOG_TAIL_LINES",
    "MANAGED",
    "REPOSITORIES",
    "RUN_LABEL",
    "BuildStream",
    "Engine",
    "EngineInfo",
    "batch_labels",
]


@dataclass(frozen=True)
class EngineInfo:
    """What every result row records about the engine that produced it."""

    version: str
    api_version: str
    storage_driver: str
    containerd_store: bool
    host: str
    #: The daemon's own id: what tells two engines apart when both are "unix://…" to the SDK.
    daemon_id: str = ""


class Engine(ImageFiles, RegistryTransfers, ImageBuilds):
    """A connected engine. Create with :meth:`connect`.

    Reading an image's files without running it lives in :class:`kit.engine_files.ImageFiles`;
    pushing, pulling and disk usage in :class:`kit.engine_registry.RegistryTransfers`; building
    in :class:`kit.engine_build.ImageBuilds`; the labels they all use in ``kit.engine_base``.
    """

    def __init__(self, client: docker.DockerClient) -> None:
        self._client = client
        self.api = client.api
        self._info: EngineInfo | None = None

    # -- connection ---------------------------------------------------------------------------
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
            version = self._call(self.api.version)
            info = self._call(self.api.info)
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
            )
        return self._info

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one SDK call, turning a vanished engine into a clear error."""
        try:
            return fn(*args, **kwargs)
        except transport_errors() as exc:
            raise EngineGoneError(
                f"the Docker engine stopped answering during {fn.__name__}"
            ) from exc

    # -- images -------------------------------------------------------------------------------
    def image(self, ref: str) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = self._call(self.api.inspect_image, ref)
            return result
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError as exc:
            if exc.status_code == 404:
                return None
            raise

    def history(self, ref: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(self.api.history, ref)
        return result

    def save_stream(self, ref: str) -> Iterator[bytes]:
        """``docker save`` of one image as a stream of chunks; the whole archive is never held.

        The status check runs when the first chunk is asked for, so a missing image raises
        ``docker.errors.NotFound`` on iteration, not here.
        """
        # At most 1 MiB a chunk (urllib3 hands HTTP chunks over as they come, often smaller).
        stream: Iterator[bytes] = self._call(self.api.get_image, ref, chunk_size=1 << 20)
        return stream

    def image_ids(self) -> set[str]:
        """Ids of every image, intermediate ones included (for cleanup after a failed build)."""
        return {img["Id"] for img in self._call(self.api.images, all=True)}

    def remove_dangling_since(self, before: set[str]) -> int:
        """Remove untagged images that did not exist in ``before`` (a failed build's steps).

        Newest first, so children go before the parents they keep alive.
        """
        new = [
            img
            for img in self._call(self.api.images, all=True)
            if img["Id"] not in before
            and not [t for t in img.get("RepoTags") or [] if t != "<none>:<none>"]
        ]
        new.sort(key=lambda img: img.get("Created", 0), reverse=True)
        return sum(self.remove_image(img["Id"]) for img in new)

    def remove_image(self, ref: str, *, force: bool = False) -> bool:
        """Remove an image; False when it was already gone or is still in use."""
        try:
            self._call(self.api.remove_image, ref, force=force)
            return True
        except docker.errors.APIError as exc:
            if exc.status_code in (404, 409):
                return False
            raise

    def kit_images(self, prefixes: tuple[str, ...] = REPOSITORIES) -> list[str]:
        """Ids of images tagged in the kit's own repositories."""
        found = []
        for img in self._call(self.api.images):
            if any(tag.startswith(prefixes) for tag in img.get("RepoTags") or []):
                found.append(str(img["Id"]))
        return found

    def import_rootfs(self, stream: IO[bytes], ref: str, changes: Iterable[str]) -> str:
        """``docker import`` of a root filesystem tar read from ``stream``."""
        repository, _, tag = ref.rpartition(":")
        self._call(
            self.api.import_image,
            src=stream,
            repository=repository,
            tag=tag,
            changes=list(changes),
            stream_src=True,
        )
        inspected = self.image(ref)
        if inspected is None:
            raise EngineError(f"docker import reported success but {ref} does not exist")
        return str(inspected["Id"])

    # -- containers ---------------------------------------------------------------------------
    def create_container(
        self,
        image: str,
        *,
        labels: Mapping[str, str],
        environment: Mapping[str, str],
        network_mode: str,
        command: list[str] | None = None,
    ) -> str:
        host_config = self.api.create_host_config(network_mode=network_mode)
        created = self._call(
            self.api.create_container,
            image,
            command=command,
            environment=dict(environment),
            labels={MANAGED: "1", **batch_labels(), **labels},
            host_config=host_config,
        )
        return str(created["Id"])

    def start(self, container: str) -> None:
        self._call(self.api.start, container)

    def wait(self, container: str, timeout: float) -> int:
        try:
            result = self.api.wait(container, timeout=timeout)
        except requests.exceptions.ReadTimeout as exc:
            raise TimeoutError(f"container did not exit within {timeout:g} s") from exc
        except requests.exceptions.ConnectionError as exc:
            # dockerd sends the headers at once and the status code when the container exits,
            # so a timeout usually fires mid-body, where requests calls it a ConnectionError.
            if any(isinstance(a, urllib3.exceptions.ReadTimeoutError) for a in exc.args):
                raise TimeoutError(f"container did not exit within {timeout:g} s") from exc
            raise EngineGoneError("the Docker engine stopped answering during wait") from exc
        except (ConnectionError, FileNotFoundError) as exc:
            raise EngineGoneError("the Docker engine stopped answering during wait") from exc
        return int(result["StatusCode"])

    def inspect_container(self, container: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(self.api.inspect_container, container)
        return result

    def logs(self, container: str, tail: int = LOG_TAIL_LINES) -> list[str]:
        try:
            raw: bytes = self._call(self.api.logs, container, stdout=True, stderr=True, tail=tail)
        except docker.errors.APIError:
            return []
        return raw.decode("utf-8", "replace").splitlines()

    def follow_logs(self, container: str) -> Iterator[bytes]:
        stream: Iterator[bytes] = self._call(
            self.api.logs, container, stdout=True, stderr=True, stream=True, follow=True
        )
        return stream

    def remove_container(self, container: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self._call(self.api.remove_container, container, force=True, v=True)

    def kit_containers(self, run_id: str | None = None) -> list[str]:
        """Containers the kit created (in one run, or in any run)."""
        label = RUN_LABEL if run_id is None else f"{RUN_LABEL}={run_id}"
        found = self._call(self.api.containers, all=True, filters={"label": label})
        return [str(c["Id"]) for c in found]

    def hub_answers(self, timeout: float = 4.0) -> bool:
        """Whether the engine can reach Docker Hub (used by the ``auto`` profile)."""
        saved = self.api.timeout
        # The SDK applies the client's timeout per request; a short one keeps `auto` quick
        # where the Hub is unreachable.
        self.api.timeout = timeout
        try:
            self.api.inspect_distribution("library/busybox:latest")
            return True
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return False
        finally:
            self.api.timeout = saved
