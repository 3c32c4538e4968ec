"""The one choke point for Docker engine calls.

Everything the kit asks of the engine goes through :class:`Engine`, so error translation, labels
and timeouts live in one place. The SDK's low-level ``APIClient`` is used on purpose: the
high-level ``containers.run`` hides an inspect, a log attach and a wait inside what we time.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions

from kit.engine_files import ImageFiles
from kit.engine_registry import RegistryTransfers
from kit.errors import EngineError, EngineGoneError

#: Experiment images carry this label. Labels are inherited by images built on top and by
#: containers, so cleanup selects containers by their per-run ``kit.run`` label and images by
#: the kit's own repositories, never by this label alone.
MANAGED = "kit.managed"
RUN_LABEL = "kit.run"
#: Set by ``kit batch`` for each notebook's kernel, so an interrupted batch finds what it made.
BATCH_LABEL = "kit.batch"
REPOSITORIES = ("kitexp/", "kitbase/")
LOG_TAIL_LINES = 25
BUILD_CANCEL_S = 10.0
_RUNNING_IN = re.compile(r"\s*---> Running in ([0-9a-f]{12,64})\s*$")


def batch_labels() -> dict[str, str]:
    batch = os.environ.get("KIT_BATCH_ID")
    return {BATCH_LABEL: batch} if batch else {}


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


@dataclass(frozen=True)
class BuildStream:
    """The outcome of one build call: the image id on success, else the error and log tail."""

    image_id: str | None
    error: str | None
    log_tail: tuple[str, ...]


def _transport_errors() -> tuple[type[BaseException], ...]:
    return (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError)


class Engine(ImageFiles, RegistryTransfers):
    """A connected engine. Create with :meth:`connect`.

    Reading an image's files without running it lives in :class:`kit.engine_files.ImageFiles`;
    pushing, pulling and disk usage in :class:`kit.engine_registry.RegistryTransfers`.
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
        except (docker.errors.DockerException, *_transport_errors()) as exc:
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
        except _transport_errors() as exc:
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

    def build(
        self,
        context: str,
        dockerfile: str,
        *,
        tag: str,
        buildargs: Mapping[str, str],
        labels: Mapping[str, str],
        nocache: bool,
        network_mode: str = "host",
        managed: bool = True,
        target: str | None = None,
        on_line: Callable[[str], None] | None = None,
    ) -> BuildStream:
        """Build with the classic builder, streaming its log; never raises for a failed build."""
        tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        image_id: str | None = None
        error: str | None = None
        # The HTTP response behind the stream: closing it is what cancels a classic build. The
        # SDK does not hand it out, but APIClient is a requests.Session, whose response hooks do.
        responses: list[requests.Response] = []

        def keep(response: requests.Response, *_: Any, **__: Any) -> None:
            if response.request.path_url.split("?")[0].endswith("/build"):
                responses.append(response)

        events: Iterator[dict[str, Any]] | None = None
        running: str | None = None
        self.api.hooks["response"].append(keep)
        try:
            events = self._call(
                self.api.build,
                path=context,
                dockerfile=dockerfile,
                tag=tag,
                buildargs=dict(buildargs),
                labels={**({MANAGED: "1"} if managed else {}), **labels},
                nocache=nocache,
                # Without rm/forcerm the classic builder leaves intermediate containers behind.
                rm=True,
                forcerm=True,
                pull=False,
                network_mode=network_mode,
                target=target,
                decode=True,
            )
            self.api.hooks["response"].remove(keep)
            for event in events:
                for line in str(event.get("stream", "")).splitlines():
                    if line.strip():
                        tail.append(line.rstrip())
                        if started := _RUNNING_IN.match(line):
                            running = started.group(1)
                        if on_line:
                            on_line(line.rstrip())
                if "aux" in event and isinstance(event["aux"], dict) and "ID" in event["aux"]:
                    # The aux ID is the built image; safer than matching "Successfully built".
                    image_id = event["aux"]["ID"]
                if "error" in event or "errorDetail" in event:
                    detail = event.get("errorDetail") or {}
                    error = str(event.get("error") or detail.get("message") or detail)
        except docker.errors.APIError as exc:
            # Refused before it started (a Dockerfile parse error is an HTTP 400): a failed
            # build like any other, not a crash.
            error = str(exc.explanation or exc)
        except _transport_errors() as exc:
            raise EngineGoneError("the Docker engine stopped answering during build") from exc
        except BaseException:
            # Ctrl-C (or an on_line callback raising): cancel the build on the engine and wait
            # for its step container to go, so the caller can remove the finished steps' images.
            self._cancel_build(events, responses, running)
            raise
        finally:
            if keep in self.api.hooks["response"]:
                self.api.hooks["response"].remove(keep)
        if error is not None:
            image_id = None
        return BuildStream(image_id=image_id, error=error, log_tail=tuple(tail))

    def _cancel_build(
        self, events: Any, responses: list[requests.Response], running: str | None
    ) -> None:
        with contextlib.suppress(Exception):
            if events is not None:
                events.close()
        for response in responses:
            with contextlib.suppress(Exception):
                response.close()
        if running is None:
            return
        deadline = time.monotonic() + BUILD_CANCEL_S
        while time.monotonic() < deadline:
            try:
                self.api.inspect_container(running)
            except (docker.errors.NotFound, *_transport_errors()):
                return  # the engine removed the step container (or is gone: nothing to wait for)
            time.sleep(0.05)
        with contextlib.suppress(Exception):
            self.api.remove_container(running, force=True)

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
