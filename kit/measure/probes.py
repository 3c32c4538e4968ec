"""Readiness probes: how the kit knows a started container is up.

Each probe blocks until the container is ready (or has exited successfully, for ``exit``) and
raises a :class:`StartError` subclass otherwise. Polling intervals are a few milliseconds so the
probe adds little to what it times.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time

from kit.engine import Engine
from kit.errors import ContainerExitError, ProbeTimeoutError, StartError
from kit.spec.experiment import Probe

POLL_S = 0.005


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exited(engine: Engine, container: str) -> int | None:
    return engine.containers.inspect(container).exit_code


def wait_exit(engine: Engine, container: str, probe: Probe) -> int:
    try:
        code = engine.containers.wait(container, timeout=probe.timeout_s)
    except TimeoutError as exc:
        raise ProbeTimeoutError(
            f"exit probe: container still running after {probe.timeout_s:g} s"
        ) from exc
    if code != 0:
        raise ContainerExitError(f"container exited with code {code}")
    return code


def wait_log(engine: Engine, container: str, probe: Probe) -> None:
    assert probe.pattern is not None
    pattern = re.compile(probe.pattern)
    found = threading.Event()

    def follow() -> None:
        buffer = ""
        for chunk in engine.containers.follow_logs(container):
            buffer += chunk.decode("utf-8", "replace")
            if pattern.search(buffer):
                found.set()
                return
            buffer = buffer[-4096:]

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    # The log stream ends when the container exits, so a finished reader without a match is a
    # container that quit before it was ready.
    reader.join(probe.timeout_s)
    if found.is_set():
        return
    if reader.is_alive():
        raise ProbeTimeoutError(
            f"log probe: no line matched {probe.pattern!r} in {probe.timeout_s:g} s"
        )
    code = _exited(engine, container)
    raise ContainerExitError(f"container exited (code {code}) before logging {probe.pattern!r}")


def wait_http(engine: Engine, container: str, probe: Probe, port: int) -> None:
    deadline = time.perf_counter() + probe.timeout_s
    checks = 0
    last = "no answer"
    while time.perf_counter() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", probe.path)
            status = conn.getresponse().status
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as exc:
            last = type(exc).__name__
        finally:
            conn.close()
        checks += 1
        # Asking the engine on every poll would slow the probe; every 20th is enough to notice a
        # container that died instead of starting.
        if checks % 20 == 0 and (code := _exited(engine, container)) is not None:
            raise ContainerExitError(
                f"container exited (code {code}) before answering on port {port}"
            )
        time.sleep(POLL_S)
    raise ProbeTimeoutError(
        f"http probe: GET 127.0.0.1:{port}{probe.path} not 200 "
        f"within {probe.timeout_s:g} s ({last})"
    )


def wait_ready(engine: Engine, container: str, probe: Probe, port: int | None) -> int | None:
    """Block until ready; return the exit code where the probe waits for one."""
    if probe.kind == "exit":
        return wait_exit(engine, container, probe)
    if probe.kind == "log":
        wait_log(engine, container, probe)
        return None
    if port is None:
        raise StartError("http probe needs a port")
    wait_http(engine, container, probe, port)
    return None
