"""Containers: create, start, wait, inspect, logs, remove; every one labelled as the kit's (and
with the process that made it, so a later process can remove it if this one dies: see
:mod:`kit.engine.leftovers`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import docker.errors
import requests.exceptions
import urllib3.exceptions

from kit.engine.labels import LOG_TAIL_LINES, MANAGED, RUN_LABEL, batch_labels
from kit.engine.leftovers import OWNER_LABEL, note, owner
from kit.engine.models import ContainerInfo
from kit.engine.session import Session
from kit.errors import EngineGoneError


class Containers:
    def __init__(self, session: Session) -> None:
        self._s = session

    def create(
        self,
        image: str,
        *,
        labels: Mapping[str, str],
        environment: Mapping[str, str],
        network_mode: str,
        command: list[str] | None = None,
        memory_bytes: int | None = None,
        pids: int | None = None,
        publish: tuple[int, ...] = (),
    ) -> str:
        """Never privileged, no capability added; ``memory_bytes`` and ``pids`` cap what it can
        take; each port in ``publish`` is published on the engine host's 127.0.0.1 only (at a
        port the engine picks: see :attr:`ContainerInfo.published`)."""
        api = self._s.api
        host_config = api.create_host_config(
            network_mode=network_mode,
            privileged=False,
            cap_add=None,
            mem_limit=memory_bytes,
            # Swap as large as the memory: the limit is then the limit, swap or not.
            memswap_limit=memory_bytes,
            pids_limit=pids,
            port_bindings={port: ("127.0.0.1", None) for port in publish} or None,
        )
        created = self._s.call(
            api.create_container,
            image,
            command=command,
            environment=dict(environment),
            labels={MANAGED: "1", OWNER_LABEL: owner(), **batch_labels(), **labels},
            host_config=host_config,
            ports=list(publish) or None,
        )
        note("container", str(created["Id"]))
        return str(created["Id"])

    def create_idle(self, image: str, *, labels: Mapping[str, str]) -> str:
        """A container that is never started, so the archive API can read the image's files."""
        # An image with neither CMD nor ENTRYPOINT (scratch) cannot be created without a command;
        # this one never runs, so it need not exist.
        return self.create(
            image,
            labels=labels,
            environment={},
            network_mode="none",
            command=["/kit-never-started"],
        )

    def start(self, container: str) -> None:
        self._s.call(self._s.api.start, container)

    def wait(self, container: str, timeout: float) -> int:
        try:
            result = self._s.api.wait(container, timeout=timeout)
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

    def inspect(self, container: str) -> ContainerInfo:
        return ContainerInfo.from_api(self._s.call(self._s.api.inspect_container, container))

    def logs(self, container: str, tail: int = LOG_TAIL_LINES) -> list[str]:
        try:
            raw: bytes = self._s.call(
                self._s.api.logs, container, stdout=True, stderr=True, tail=tail
            )
        except docker.errors.APIError:
            return []
        return raw.decode("utf-8", "replace").splitlines()

    def follow_logs(self, container: str) -> Iterator[bytes]:
        stream: Iterator[bytes] = self._s.call(
            self._s.api.logs, container, stdout=True, stderr=True, stream=True, follow=True
        )
        return stream

    def remove(self, container: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self._s.call(self._s.api.remove_container, container, force=True, v=True)

    def network_exists(self, name: str) -> bool:
        """Whether the engine has a network ``name`` (``bridge``: it can publish ports)."""
        return bool(self._s.call(self._s.api.networks, names=[name]))

    def kit_containers(self, run_id: str | None = None) -> list[str]:
        """Containers the kit created (in one run, or in any run)."""
        label = RUN_LABEL if run_id is None else f"{RUN_LABEL}={run_id}"
        found = self._s.call(self._s.api.containers, all=True, filters={"label": label})
        return [str(c["Id"]) for c in found]
