"""The one wrapper every engine call goes through: the SDK's low-level client, and the
translation of a vanished engine into :class:`~kit.errors.EngineGoneError`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests.exceptions

from kit.errors import EngineGoneError


def transport_errors() -> tuple[type[BaseException], ...]:
    """What the SDK raises when the engine's socket is gone (or was never there)."""
    return (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError)


class Session:
    """The SDK's ``APIClient`` (``api``) and :meth:`call`, shared by the engine's parts."""

    def __init__(self, api: Any) -> None:
        self.api = api

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one SDK call, turning a vanished engine into a clear error."""
        try:
            return fn(*args, **kwargs)
        except transport_errors() as exc:
            raise EngineGoneError(
                f"the Docker engine stopped answering during {fn.__name__}"
            ) from exc
