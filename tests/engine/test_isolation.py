"""Containers under test are isolated: a network namespace of their own (network ``none``, the
http probe made from inside it), never privileged, no added capability, memory and processes
capped. Every expectation is read back through the engine's own inspect or from the
container's own behaviour."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kit.engine import MANAGED, RUN_LABEL, Engine
from kit.engine.leftovers import OWNER_LABEL
from kit.inputs.app import load_app
from kit.measure.start import run_trial
from kit.model.results import Results

Measure = Callable[..., Results]
MiB = 1024 * 1024


def _host_configs(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The engine's inspect of every container the kit creates, taken right after its start."""
    seen: list[dict[str, Any]] = []
    real_start = engine.containers.start

    def start(container: str) -> None:
        real_start(container)
        seen.append(engine.api.inspect_container(container))

    monkeypatch.setattr(engine.containers, "start", start)
    return seen


def test_http_probe_reaches_servers_in_their_own_namespace(
    measure: Measure, check, engine: Engine, monkeypatch: pytest.MonkeyPatch, no_leaks: None
) -> None:
    seen = _host_configs(engine, monkeypatch)
    results = measure("eng-isolation")
    port = check.ok(results, "port")
    # It ignores $PORT and binds port 80: found where it listens, inside its own namespace.
    check.ok(results, "fixed")
    # Every trial, and the floor's traced start (its probe passes the same way).
    assert len(seen) == 2 * (check.warmups + check.trials) + 1
    assert port.floor_bytes, port.floor_note
    for doc in seen:
        assert doc["HostConfig"]["NetworkMode"] == "none"
        assert "PORT=8080" in doc["Config"]["Env"]


@pytest.fixture()
def host_service() -> Iterator[tuple[int, list[bytes]]]:
    """A tiny TCP service on the host's 127.0.0.1; records what every connection sent."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    got: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    got.append(conn.recv(4096))
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
                except OSError:
                    got.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1]), got
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_an_image_cannot_reach_the_hosts_loopback(
    measure: Measure,
    check,
    tmp_path: Path,
    host_service: tuple[int, list[bytes]],
    no_leaks: None,
) -> None:
    port, got = host_service
    # The service answers from the host itself: it is there to be found.
    with socket.create_connection(("127.0.0.1", port), timeout=2) as probe:
        probe.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert b"secret" in probe.recv(4096)
    got.clear()
    app = tmp_path / "eng-nosy"
    shutil.copytree(check.app_dir("eng-nosy"), app)
    with (app / "experiment.toml").open("a") as toml:
        toml.write(f'[profiles.local.args]\nHOST_SERVICE_PORT = "{port}"\n')
    results = measure(str(app))
    check.ok(results, "nosy")  # it still starts, and its own server is probed
    assert got == [], f"an image under test reached the host's 127.0.0.1:{port}: {got}"


def test_trial_containers_are_confined_and_labelled(
    engine: Engine, check, monkeypatch: pytest.MonkeyPatch, measure: Measure, no_leaks: None
) -> None:
    results = measure("eng-isolation", variants=("port",))
    check.ok(results, "port")
    seen = _host_configs(engine, monkeypatch)
    spec = load_app(check.app_dir("eng-isolation"))
    labels = {RUN_LABEL: "engine-test-confined"}
    run_trial(
        engine,
        check.tag("eng-isolation", "port"),
        spec.probe,
        labels,
        trial=0,
        warmup=False,
        track=lambda _c: None,
        untrack=lambda _c: None,
    )
    (doc,) = seen
    host = doc["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["Privileged"] is False
    assert not host["CapAdd"]
    # The documented defaults (README, "Faults and isolation"): 1024 MiB, 512 processes.
    assert host["Memory"] == 1024 * MiB
    assert host["PidsLimit"] == 512
    assert not host["PortBindings"]
    found = doc["Config"]["Labels"]
    assert found[MANAGED] == "1" and found[RUN_LABEL] == "engine-test-confined"
    assert found[OWNER_LABEL].split(":")[1] == str(os.getpid())


def test_limits_from_experiment_toml_hold(
    measure: Measure, check, engine: Engine, monkeypatch: pytest.MonkeyPatch, no_leaks: None
) -> None:
    seen = _host_configs(engine, monkeypatch)
    results = measure("eng-limits")
    # 200 processes asked for, the count stayed within [limits] pids = 64.
    check.ok(results, "forks")
    # A 100 MiB buffer under [limits] memory_mb = 64: killed by the kernel.
    check.failed(results, "hog", "ContainerExitError", "code 137", built=True)
    assert seen
    for doc in seen:
        assert doc["HostConfig"]["Memory"] == 64 * MiB
        assert doc["HostConfig"]["PidsLimit"] == 64
