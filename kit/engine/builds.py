"""Building an image with the classic builder: streaming its log, and cancelling it on the
engine when the caller stops."""

from __future__ import annotations

import contextlib
import re
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import docker.errors
import requests

from kit.engine.labels import LOG_TAIL_LINES, MANAGED
from kit.engine.models import BuildStream
from kit.engine.session import Session, transport_errors
from kit.errors import EngineGoneError

BUILD_CANCEL_S = 10.0
_RUNNING_IN = re.compile(r"\s*---> Running in ([0-9a-f]{12,64})\s*$")


class Builds:
    def __init__(self, session: Session) -> None:
        self._s = session

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
        self._s.api.hooks["response"].append(keep)
        try:
            events = self._s.call(
                self._s.api.build,
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
            self._s.api.hooks["response"].remove(keep)
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
        except transport_errors() as exc:
            raise EngineGoneError("the Docker engine stopped answering during build") from exc
        except BaseException:
            # Ctrl-C (or an on_line callback raising): cancel the build on the engine and wait
            # for its step container to go, so the caller can remove the finished steps' images.
            self._cancel_build(events, responses, running)
            raise
        finally:
            if keep in self._s.api.hooks["response"]:
                self._s.api.hooks["response"].remove(keep)
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
                self._s.api.inspect_container(running)
            except (docker.errors.NotFound, *transport_errors()):
                return  # the engine removed the step container (or is gone: nothing to wait for)
            time.sleep(0.05)
        with contextlib.suppress(Exception):
            self._s.api.remove_container(running, force=True)
