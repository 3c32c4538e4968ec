"""Building an image: the classic builder through the SDK (streaming its log, cancelling it on
the engine when the caller stops), or BuildKit through a docker CLI (:mod:`kit.engine.buildkit`).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import docker.errors
import requests

from kit.engine.buildkit import BuildKitCli
from kit.engine.buildlog import ClassicSteps, Lines
from kit.engine.labels import LOG_TAIL_LINES, MANAGED
from kit.engine.models import BuildRequest, BuildStream
from kit.engine.session import Session, transport_errors
from kit.errors import EngineGoneError
from kit.util.deadline import deadline

BUILD_CANCEL_S = 10.0
_RUNNING_IN = re.compile(r"\s*---> Running in ([0-9a-f]{12,64})\s*$")


BUILDERS = ("buildkit", "classic")


class Builds:
    def __init__(self, session: Session, buildkit: Callable[[], BuildKitCli]) -> None:
        self._s = session
        self._buildkit = buildkit

    def build(
        self,
        context: str,
        dockerfile: str,
        *,
        tag: str,
        buildargs: Mapping[str, str],
        labels: Mapping[str, str],
        nocache: bool,
        builder: str = "classic",
        network_mode: str = "host",
        managed: bool = True,
        target: str | None = None,
        on_line: Callable[[str], None] | None = None,
        timeout_s: float | None = None,
    ) -> BuildStream:
        """Build with ``builder`` ("buildkit" or "classic"); never raises for a failed build
        (its error and log tail are in the result). Builds use the host network by default:
        the engine runs without a bridge, and apt, npm and pip must reach their mirrors.
        Past ``timeout_s`` the build is cancelled on the engine and the result says it timed
        out."""
        all_labels = {**({MANAGED: "1"} if managed else {}), **labels}
        request = BuildRequest(
            context, dockerfile, tag, buildargs, all_labels, nocache, network_mode, target
        )
        if builder == "buildkit":
            done = self._buildkit().build(request, on_line=on_line, timeout_s=timeout_s)
            if done.image_id is None and not done.timed_out:
                self._still_there(done.error)
            return done
        return self._classic(request, on_line=on_line, timeout_s=timeout_s)

    def _still_there(self, error: str | None) -> None:
        """After a failed BuildKit build, whether the engine still answers: the CLI words a
        dockerd that died mid-build in many ways (an rpc error, an EOF, a closed transport),
        so the engine is asked instead of the words being matched."""
        try:
            self._s.api.ping()
        except transport_errors() as exc:
            raise EngineGoneError(
                f"the Docker engine stopped answering during build: {error or 'no image'}"
            ) from exc

    def _classic(
        self,
        request: BuildRequest,
        *,
        on_line: Callable[[str], None] | None = None,
        timeout_s: float | None = None,
    ) -> BuildStream:
        """Build with the classic builder, streaming its log; never raises for a failed build.
        Past ``timeout_s`` the stream's socket is shut down from a timer thread: dockerd sees
        its client go, cancels the build and removes the step container (waited for here)."""
        tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        steps = ClassicSteps()
        lines = Lines()
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
        expired = threading.Event()
        # Closing the response would not wake the thread blocked reading it; a shutdown of its
        # socket does (the read sees the end), and dockerd sees its client go.
        timer = deadline(timeout_s, expired, lambda: _shut(responses))
        try:
            try:
                events = self._s.call(
                    self._s.api.build,
                    path=request.context,
                    dockerfile=request.dockerfile,
                    tag=request.tag,
                    buildargs=dict(request.buildargs),
                    labels=dict(request.labels),
                    nocache=request.nocache,
                    # Without rm/forcerm the classic builder leaves intermediate containers
                    # behind.
                    rm=True,
                    forcerm=True,
                    pull=False,
                    network_mode=request.network,
                    target=request.target,
                    decode=True,
                )
                self._s.api.hooks["response"].remove(keep)
                if expired.is_set():  # the limit ran out while the context was sent
                    _shut(responses)
                for event in events:
                    # A step's output comes in pieces that are not lines: whole lines only.
                    for line in lines.feed(str(event.get("stream", ""))):
                        tail.append(line)
                        steps(line)
                        if started := _RUNNING_IN.match(line):
                            running = started.group(1)
                        if on_line:
                            on_line(line)
                    if "aux" in event and isinstance(event["aux"], dict) and "ID" in event["aux"]:
                        # The aux ID is the built image; safer than matching "Successfully built".
                        image_id = event["aux"]["ID"]
                    if "error" in event or "errorDetail" in event:
                        detail = event.get("errorDetail") or {}
                        error = str(event.get("error") or detail.get("message") or detail)
                for line in lines.flush():
                    tail.append(line)
                    steps(line)
            except Exception:
                if not expired.is_set():
                    raise
                # What reading a stream the deadline shut down raises is its end, not a fault.
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
            if timer is not None:
                timer.cancel()
            if keep in self._s.api.hooks["response"]:
                self._s.api.hooks["response"].remove(keep)
        if error is not None:
            image_id = None
        if expired.is_set() and image_id is None:
            self._cancel_build(events, responses, running)
            error = f"cancelled after {timeout_s:g} s (the build's time limit)"
            return BuildStream(None, error, tuple(tail), steps.finish(), "classic", True)
        done = steps.finish()
        failed = steps.failed() if image_id is None else None
        return BuildStream(image_id, error, tuple(tail), done, "classic", False, failed)

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
        until = time.monotonic() + BUILD_CANCEL_S
        while time.monotonic() < until:
            try:
                self._s.api.inspect_container(running)
            except (docker.errors.NotFound, *transport_errors()):
                return  # the engine removed the step container (or is gone: nothing to wait for)
            time.sleep(0.05)
        with contextlib.suppress(Exception):
            self._s.api.remove_container(running, force=True)


def _shut(responses: list[requests.Response]) -> None:
    for response in list(responses):
        with contextlib.suppress(Exception):
            # The socket under the response, where docker-py's attach finds it too
            # (APIClient._get_raw_response_socket).
            raw: Any = response.raw  # urllib3's private attributes: untyped on purpose
            raw._fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
