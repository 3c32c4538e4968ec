"""A stand-in for docker's low-level ``APIClient`` that replays JSON recorded from a real engine.

``kit.engine.client.Engine(FakeDockerClient())`` behaves like an engine that holds the images and
containers recorded by ``record_fixtures.py``: every call is answered from ``fixtures/*.json`` or
from state the test set up, and every call is logged in ``api.calls`` for assertions. Nothing here
opens a socket.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import docker.errors
import requests

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE_URL = "http+docker://localhost"

BUSYBOX = "kitbase/busybox:1"
MULTISTAGE = "kitexp/node-server:multistage-local"
UNIT_OK = "kitexp/unit-fixture:ok"


def load(name: str) -> Any:
    """One recorded fixture, freshly parsed (tests may mutate what they get)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def api_error(
    status: int, message: str, cls: type[docker.errors.APIError] = docker.errors.APIError
) -> docker.errors.APIError:
    """An SDK error as the SDK raises it: with an HTTP response carrying the status code."""
    response = requests.Response()
    response.status_code = status
    return cls(message, response=response, explanation=message)


def image_summary(inspected: Mapping[str, Any]) -> dict[str, Any]:
    """The ``/images/json`` row the engine lists for an inspected image."""
    created = datetime.fromisoformat(str(inspected["Created"])[:26].rstrip("Z"))
    return {
        "Id": inspected["Id"],
        "ParentId": inspected.get("Parent", ""),
        "RepoTags": list(inspected.get("RepoTags") or []),
        "RepoDigests": list(inspected.get("RepoDigests") or []),
        "Created": int(created.timestamp()),
        "Size": inspected["Size"],
        "Labels": (inspected.get("Config") or {}).get("Labels"),
        "Containers": -1,
    }


def broken_stream(events: Iterable[dict[str, Any]], exc: BaseException) -> Iterator[dict[str, Any]]:
    """A build event stream that dies with ``exc`` after ``events`` (an engine going away)."""
    yield from events
    raise exc


class FakeAPIClient:
    """Replays recorded engine answers. Configure by mutating the public attributes.

    ``fail`` maps a method name to an exception raised when that method is called (a transport
    error simulates a vanished engine). ``builds`` is the queue of event streams that successive
    ``build`` calls return; it defaults to the recorded successful build, forever.
    """

    def __init__(self) -> None:
        self.base_url = BASE_URL
        self.timeout: float = 120
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        # APIClient is a requests.Session; the engine hooks the build response to cancel it.
        self.hooks: dict[str, list[Any]] = {"response": []}
        self.fail: dict[str, BaseException] = {}
        self.images_by_ref: dict[str, dict[str, Any]] = {}
        self.histories: dict[str, list[dict[str, Any]]] = {}
        self.listed: list[dict[str, Any]] = []
        self.in_use: set[str] = set()
        self.removed: list[str] = []
        self.builds: list[Iterable[dict[str, Any]]] = []
        self.containers_by_id: dict[str, dict[str, Any]] = {}
        self.next_exit_codes: list[int] = []
        self._ids = itertools.count(1)
        self.closed = False
        for ref, name in (
            (BUSYBOX, "busybox"),
            (MULTISTAGE, "multistage"),
            (UNIT_OK, "unit_fixture_ok"),
        ):
            inspected = load(f"inspect_image_{name}")
            history = load(f"history_{name}") if name != "unit_fixture_ok" else None
            self.add_image(inspected, history, ref=ref)

    # -- set-up helpers -----------------------------------------------------------------------
    def add_image(
        self,
        inspected: dict[str, Any],
        history: list[dict[str, Any]] | None = None,
        *,
        ref: str | None = None,
        listed: bool = True,
    ) -> None:
        """Make ``inspected`` answer to its id, short id, tags and ``ref``."""
        image_id = str(inspected["Id"])
        keys = {image_id, image_id.removeprefix("sha256:")[:12], *inspected.get("RepoTags", [])}
        if ref:
            keys.add(ref)
        for key in keys:
            self.images_by_ref[key] = inspected
            if history is not None:
                self.histories[key] = history
        if listed:
            self.listed.append(image_summary(inspected))

    # -- bookkeeping --------------------------------------------------------------------------
    def _record(self, method: str, /, *args: Any, **kwargs: Any) -> None:
        self.calls.append((method, args, kwargs))
        if method in self.fail:
            raise self.fail[method]

    def called(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(args, kwargs) for n, args, kwargs in self.calls if n == name]

    # -- system -------------------------------------------------------------------------------
    def ping(self) -> bool:
        self._record("ping")
        return True

    def version(self) -> dict[str, Any]:
        self._record("version")
        result: dict[str, Any] = load("version")
        return result

    def info(self) -> dict[str, Any]:
        self._record("info")
        result: dict[str, Any] = load("info")
        return result

    def close(self) -> None:
        self.closed = True

    def inspect_distribution(self, image: str) -> dict[str, Any]:
        """Docker Hub reachability probe; make it fail with ``fail["inspect_distribution"]``."""
        self._record("inspect_distribution", image, timeout=self.timeout)
        return {"Descriptor": {"mediaType": "application/vnd.oci.image.index.v1+json"}}

    # -- images -------------------------------------------------------------------------------
    def inspect_image(self, ref: str) -> dict[str, Any]:
        self._record("inspect_image", ref)
        if ref not in self.images_by_ref:
            raise api_error(404, f"No such image: {ref}", docker.errors.ImageNotFound)
        return copy.deepcopy(self.images_by_ref[ref])

    def history(self, ref: str) -> list[dict[str, Any]]:
        self._record("history", ref)
        if ref not in self.histories:
            raise api_error(404, f"No such image: {ref}", docker.errors.ImageNotFound)
        return copy.deepcopy(self.histories[ref])

    def images(self, name: str | None = None, all: bool = False, **kwargs: Any) -> list[Any]:
        self._record("images", name=name, all=all, **kwargs)
        return copy.deepcopy(self.listed)

    def remove_image(self, image: str, force: bool = False, noprune: bool = False) -> None:
        self._record("remove_image", image, force=force)
        if image in self.in_use:
            raise api_error(409, f"conflict: unable to delete {image} (image is being used)")
        known = [
            row for row in self.listed if row["Id"] == image or image in (row.get("RepoTags") or [])
        ]
        if not known:
            raise api_error(404, f"No such image: {image}", docker.errors.ImageNotFound)
        self.listed = [row for row in self.listed if row not in known]
        self.removed.append(image)

    def build(self, **kwargs: Any) -> Iterable[dict[str, Any]]:
        self._record("build", **kwargs)
        if self.builds:
            return self.builds.pop(0)
        result: list[dict[str, Any]] = load("build_ok")
        return result

    # -- containers ---------------------------------------------------------------------------
    def create_host_config(self, **kwargs: Any) -> dict[str, Any]:
        return {"NetworkMode": kwargs.get("network_mode", "default")}

    def create_container(self, image: str, **kwargs: Any) -> dict[str, Any]:
        self._record("create_container", image, **kwargs)
        if image not in self.images_by_ref:
            raise api_error(404, f"No such image: {image}", docker.errors.ImageNotFound)
        code = self.next_exit_codes.pop(0) if self.next_exit_codes else 0
        inspected = load(f"inspect_container_exit{1 if code else 0}")
        container_id = f"{next(self._ids):064x}"
        inspected["Id"] = container_id
        inspected["State"]["ExitCode"] = code
        inspected["Config"]["Labels"] = dict(kwargs.get("labels") or {})
        self.containers_by_id[container_id] = inspected
        return {"Id": container_id, "Warnings": []}

    def start(self, container: str) -> None:
        self._record("start", container)

    def wait(self, container: str, timeout: float | None = None) -> dict[str, Any]:
        self._record("wait", container, timeout=timeout)
        state = self.containers_by_id[container]["State"]
        return {"StatusCode": state["ExitCode"], "Error": None}

    def inspect_container(self, container: str) -> dict[str, Any]:
        self._record("inspect_container", container)
        if container not in self.containers_by_id:
            raise api_error(404, f"No such container: {container}", docker.errors.NotFound)
        return copy.deepcopy(self.containers_by_id[container])

    def remove_container(self, container: str, **kwargs: Any) -> None:
        self._record("remove_container", container, **kwargs)
        if self.containers_by_id.pop(container, None) is None:
            raise api_error(404, f"No such container: {container}", docker.errors.NotFound)

    def containers(self, all: bool = False, filters: Any = None, **kwargs: Any) -> list[Any]:
        self._record("containers", all=all, filters=filters)
        label = (filters or {}).get("label")
        key, _, value = (label or "").partition("=")
        found = []
        for container_id, inspected in self.containers_by_id.items():
            labels = inspected["Config"]["Labels"]
            if label is None or (key in labels and (not value or labels[key] == value)):
                found.append({"Id": container_id, "Labels": labels})
        return found


class FakeDockerClient:
    """What ``Engine.__init__`` needs of a ``docker.DockerClient``: ``.api`` and ``.close()``."""

    def __init__(self, api: FakeAPIClient | None = None) -> None:
        self.api = api or FakeAPIClient()
        self.closed = False

    def close(self) -> None:
        self.closed = True
        self.api.close()
