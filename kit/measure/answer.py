"""What a started image answers to its probe, kept to compare one image with another: the http
status and body, or the exit code and output, or that the log line came — and the user,
entrypoint and command it runs with. The container runs isolated as a start trial's does
(:mod:`kit.measure.start`) and is removed however it ends."""

from __future__ import annotations

import functools
import http.client
from dataclasses import dataclass, replace

from kit.engine import Engine
from kit.errors import StartError
from kit.host.netns import InNamespace, NetnsUnavailable, listeners
from kit.inputs.experiment import DEFAULT_LIMITS, Limits, Probe
from kit.measure.probes import wait_ready
from kit.measure.reach import CONNECT_S, PORT, Reach, choose

#: Characters of a body or an output kept: enough to tell two answers apart.
KEEP_CHARS = 4000


@dataclass(frozen=True)
class Answer:
    kind: str  # the probe's kind
    ok: bool  # the probe passed
    status: int | None = None  # http
    body: str = ""  # http
    exit_code: int | None = None  # exit
    output: str = ""  # exit: what it printed
    user: str = ""
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    error: str | None = None  # why the probe failed

    def differences(self, other: Answer) -> list[str]:
        """How ``other`` answers differently from this one, in words (empty: the same)."""
        found = []
        for name in ("ok", "status", "body", "exit_code", "output", "user", "entrypoint", "cmd"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                found.append(f"{name} {_short(theirs)} (the original's {_short(mine)})")
        if other.error:
            found.append(other.error)
        return found


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fetch(host: str, port: int, path: str) -> tuple[int | None, str]:
    conn = http.client.HTTPConnection(host, port, timeout=CONNECT_S)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read(KEEP_CHARS).decode("utf-8", "replace")
    except OSError:
        return None, ""
    finally:
        conn.close()


def _http(engine: Engine, container: str, path: str, reach: Reach) -> tuple[int | None, str]:
    info = engine.containers.inspect(container)
    if reach.mode == "publish":
        ports = sorted(info.published.items(), key=lambda kv: (kv[0] != PORT, kv[0]))
        return _fetch("127.0.0.1", ports[0][1], path) if ports else (None, "")
    found = sorted(listeners(info.pid), key=lambda x: (x.port != PORT, x.port))
    if not found:
        return None, ""
    try:
        inside = InNamespace(info.pid)
    except NetnsUnavailable as exc:
        raise StartError(f"cannot probe inside the container: {exc}") from exc
    try:
        return inside.run(functools.partial(_fetch, found[0].host, found[0].port, path))
    finally:
        inside.close()


def answer(
    engine: Engine,
    image: str,
    probe: Probe,
    labels: dict[str, str],
    limits: Limits = DEFAULT_LIMITS,
) -> Answer:
    """Start ``image``, wait for its probe, and record what it answers."""
    doc = engine.images.document(image) or {}
    config = doc.get("Config") or {}
    said = Answer(
        probe.kind,
        False,
        user=str(config.get("User") or ""),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        cmd=tuple(config.get("Cmd") or ()),
    )
    reach = choose(engine) if probe.kind == "http" else None
    publish: tuple[int, ...] = ()
    if reach is not None and reach.mode == "publish":
        inspected = engine.images.inspect(image)
        publish = tuple(dict.fromkeys((PORT, *(inspected.exposed if inspected else ()))))
    container = engine.containers.create(
        image,
        labels=labels,
        environment={"PORT": str(PORT)} if reach is not None else {},
        network_mode="none" if reach is None else reach.network,
        memory_bytes=limits.memory_bytes,
        pids=limits.pids,
        publish=publish,
    )
    try:
        engine.containers.start(container)
        try:
            code = wait_ready(engine, container, probe, reach)
        except StartError as exc:
            tail = "; ".join(engine.containers.logs(container, tail=5))
            return replace(
                said,
                error=f"{exc.message}" + (f": {tail}" if tail else ""),
            )
        if probe.kind == "exit":
            output = "\n".join(engine.containers.logs(container, tail=200))[-KEEP_CHARS:]
            return replace(said, ok=True, exit_code=code, output=output)
        if probe.kind == "http":
            assert reach is not None
            status, body = _http(engine, container, probe.path, reach)
            return replace(said, ok=True, status=status, body=body)
        return replace(said, ok=True)
    finally:
        engine.containers.remove(container)
