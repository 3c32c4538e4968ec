"""Pushing and pulling through a registry, and whether Docker Hub answers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import docker.errors
import requests.exceptions

from kit.engine.models import TransferLog
from kit.engine.session import Session
from kit.errors import EngineGoneError, RegistryError

#: Final per-layer statuses the engine reports when a layer moved no bytes.
PUSH_SKIPPED = ("Layer already exists", "Mounted from")
PULL_SKIPPED = ("Already exists",)

EventHook = Callable[[Mapping[str, Any]], None]


class Transfers:
    def __init__(self, session: Session) -> None:
        self._s = session

    def push(self, repository: str, tag: str, on_event: EventHook | None = None) -> TransferLog:
        """Push ``repository:tag``; a failure the engine reports becomes a RegistryError.

        ``on_event`` sees every progress event; if it raises, the push is abandoned (closing the
        stream cancels it on the engine) and the exception propagates."""
        return self._transfer("push", self._s.api.push, repository, tag, on_event)

    def pull(self, repository: str, tag: str, on_event: EventHook | None = None) -> TransferLog:
        """Pull ``repository:tag``; a failure the engine reports becomes a RegistryError."""
        return self._transfer("pull", self._s.api.pull, repository, tag, on_event)

    def _transfer(
        self,
        what: str,
        fn: Callable[..., Any],
        repository: str,
        tag: str,
        on_event: EventHook | None,
    ) -> TransferLog:
        statuses: dict[str, str] = {}
        digest: str | None = None
        ref = f"{repository}:{tag}"
        try:
            events: Iterator[dict[str, Any]] = self._s.call(
                fn, repository, tag=tag, stream=True, decode=True
            )
        except docker.errors.APIError as exc:
            raise RegistryError(f"{what} of {ref} refused: {exc.explanation or exc}") from exc
        try:
            for event in _engine_gone_is_an_error(events, what):
                if on_event is not None:
                    on_event(event)
                if "error" in event or "errorDetail" in event:
                    detail = event.get("errorDetail") or {}
                    message = event.get("error") or detail.get("message") or detail
                    # The engine has given up (after its own retries): no partial success.
                    raise RegistryError(f"{what} of {ref} failed: {message}")
                if event.get("id") and event.get("status"):
                    statuses[str(event["id"])] = str(event["status"])
                aux = event.get("aux")
                if isinstance(aux, dict) and aux.get("Digest"):
                    digest = str(aux["Digest"])
                status = str(event.get("status", ""))
                if status.startswith("Digest: "):  # a pull reports it as a status line
                    digest = status.removeprefix("Digest: ").strip()
        finally:
            with contextlib.suppress(Exception):
                events.close()  # type: ignore[attr-defined]
        return TransferLog(statuses=statuses, digest=digest)

    def hub_answers(self, timeout: float = 4.0) -> bool:
        """Whether the engine reaches Docker Hub (what the ``auto`` profile asks): directly, or
        through the registry mirror it was started with, which may not hold busybox."""
        return self.registry_answer("library/busybox:latest", timeout) != "unreachable"

    def registry_answer(self, ref: str, timeout: float = 4.0) -> str:
        """What the registry serving ``ref`` says about it, asked by the engine (so through its
        mirrors and proxy): ``found``, ``unknown`` (it answered: no such image, or no access)
        or ``unreachable`` (no answer: offline, DNS, TLS, timeout)."""
        api = self._s.api
        saved = api.timeout
        # The SDK applies the client's timeout per request; a short one keeps `auto` quick
        # where the Hub is unreachable.
        api.timeout = timeout
        try:
            api.inspect_distribution(ref)
            return "found"
        except docker.errors.APIError as exc:
            # 404: the registry (or the mirror standing in for the Hub) has no such manifest;
            # 401/403: it answered and refused. A 500 wraps the engine's own failure to connect.
            return "unknown" if exc.status_code in (401, 403, 404) else "unreachable"
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return "unreachable"
        finally:
            api.timeout = saved


def _engine_gone_is_an_error(
    events: Iterator[dict[str, Any]], what: str
) -> Iterator[dict[str, Any]]:
    """The stream itself can break when the engine goes away; say so in the kit's terms."""
    try:
        yield from events
    except docker.errors.APIError as exc:
        raise RegistryError(f"{what} failed: {exc.explanation or exc}") from exc
    except (requests.exceptions.ConnectionError, ConnectionError) as exc:
        raise EngineGoneError(f"the Docker engine stopped answering during {what}") from exc
