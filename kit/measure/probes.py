"""Readiness probes: how the kit knows a started container is up.

Each probe blocks until the container is ready (or has exited successfully, for ``exit``) and
raises a :class:`StartError` subclass otherwise. Polling intervals are a few milliseconds so the
probe adds little to what it times. How an http probe reaches a container that has no network of
the host's is :mod:`kit.measure.reach`'s.
"""

from __future__ import annotations

import re
import threading
import time

from kit.engine import Engine
from kit.errors import ContainerExitError, EngineGoneError, ProbeTimeoutError, StartError
from kit.inputs.experiment import Probe
from kit.measure.reach import Reach, connect

POLL_S = 0.005
#: Characters of the log kept from one chunk to the next for the log probe's pattern.
OVERLAP = 512


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
    gone: list[EngineGoneError] = []

    def follow() -> None:
        # Each chunk is searched with a little of what came before (a line split across two
        # chunks still matches), never the whole log: a service that logs hundreds of MB
        # before it is ready costs time and memory in proportion to its log, not its square.
        carry = ""
        try:
            for chunk in engine.containers.follow_logs(container):
                text = carry + chunk.decode("utf-8", "replace")
                if pattern.search(text):
                    found.set()
                    return
                carry = text[-OVERLAP:]
        except EngineGoneError as exc:  # raised in the caller's thread, not lost in this one
            gone.append(exc)

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    # The log stream ends when the container exits, so a finished reader without a match is a
    # container that quit before it was ready.
    reader.join(probe.timeout_s)
    if found.is_set():
        return
    if gone:
        raise gone[0]
    if reader.is_alive():
        raise ProbeTimeoutError(
            f"log probe: no line matched {probe.pattern!r} in {probe.timeout_s:g} s"
        )
    code = _exited(engine, container)
    raise ContainerExitError(f"container exited (code {code}) before logging {probe.pattern!r}")


def wait_http(engine: Engine, container: str, probe: Probe, reach: Reach) -> None:
    deadline = time.perf_counter() + probe.timeout_s
    checks = 0
    last = "no answer"
    connector = connect(engine, container, reach)
    try:
        while time.perf_counter() < deadline:
            status, last = connector.get(probe.path)
            if status == 200:
                return
            checks += 1
            # Asking the engine on every poll would slow the probe; every 20th is enough to
            # notice a container that died instead of starting.
            if checks % 20 == 0 and (code := _exited(engine, container)) is not None:
                raise ContainerExitError(
                    f"container exited (code {code}) before answering GET {probe.path}"
                )
            time.sleep(POLL_S)
    finally:
        connector.close()
    raise ProbeTimeoutError(
        f"http probe: GET {probe.path} not 200 within {probe.timeout_s:g} s ({last})"
    )


def wait_ready(engine: Engine, container: str, probe: Probe, reach: Reach | None) -> int | None:
    """Block until ready; return the exit code where the probe waits for one."""
    if probe.kind == "exit":
        return wait_exit(engine, container, probe)
    if probe.kind == "log":
        wait_log(engine, container, probe)
        return None
    if reach is None:
        raise StartError("an http probe needs to know how to reach the container")
    wait_http(engine, container, probe, reach)
    return None
