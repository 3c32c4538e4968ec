"""Pushing, pulling and tagging for a registry, and the engine's disk usage. Part of
:class:`kit.engine.Engine`, the one choke point for engine calls; kept apart only to keep that
module readable."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import docker.errors
import requests.exceptions

from kit.errors import EngineError, EngineGoneError, RegistryError

#: Final per-layer statuses the engine reports when a layer moved no bytes.
PUSH_SKIPPED = ("Layer already exists", "Mounted from")
PULL_SKIPPED = ("Already exists",)

EventHook = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class TransferLog:
    """What the engine said about one push or pull: the last status of every layer it touched
    (keyed by the 12-hex id it prints: the diff id on a push, the blob digest on a pull) and the
    manifest digest it reported."""

    statuses: Mapping[str, str]
    digest: str | None

    def moved(self, short_id: str, skipped: tuple[str, ...]) -> bool:
        status = self.statuses.get(short_id)
        return status is not None and not status.startswith(skipped)


class RegistryTransfers:
    """Mixed into :class:`kit.engine.Engine`, which provides ``api`` and ``_call``."""

    api: Any

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def tag(self, image: str, repository: str, tag: str) -> None:
        """Tag ``image`` as ``repository:tag`` (a registry host in ``repository`` is fine)."""
        try:
            done = self._call(self.api.tag, image, repository, tag, force=True)
        except docker.errors.APIError as exc:
            raise EngineError(f"cannot tag {image} as {repository}:{tag}: {exc}") from exc
        if not done:
            raise EngineError(f"the engine refused to tag {image} as {repository}:{tag}")

    def untag(self, ref: str) -> bool:
        """Remove one reference (tag or digest); the image goes only with its last reference.

        ``noprune``: untagged parents (a classic build's step images, the user's build cache)
        are kept, never deleted as a side effect. False when already gone or still in use."""
        try:
            self._call(self.api.remove_image, ref, noprune=True)
            return True
        except docker.errors.APIError as exc:
            if exc.status_code in (404, 409):
                return False
            raise EngineError(f"cannot remove {ref}: {exc.explanation or exc}") from exc

    def push(self, repository: str, tag: str, on_event: EventHook | None = None) -> TransferLog:
        """Push ``repository:tag``; a failure the engine reports becomes a RegistryError.

        ``on_event`` sees every progress event; if it raises, the push is abandoned (closing the
        stream cancels it on the engine) and the exception propagates."""
        return self._transfer("push", self.api.push, repository, tag, on_event)

    def pull(self, repository: str, tag: str, on_event: EventHook | None = None) -> TransferLog:
        """Pull ``repository:tag``; a failure the engine reports becomes a RegistryError."""
        return self._transfer("pull", self.api.pull, repository, tag, on_event)

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
            events: Iterator[dict[str, Any]] = self._call(
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

    def disk_usage(self) -> dict[str, Any]:
        """``docker system df -v``: images with ``Size`` and ``SharedSize``, layers' total."""
        result: dict[str, Any] = self._call(self.api.df)
        return result


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
