"""Unit-suite fixtures: an :class:`Engine` over the recorded-JSON fake, never a real engine.

Every unit test (and every process it starts) sees ``DOCKER_HOST`` pointing at a socket that does
not exist, so a unit test that reaches for an engine fails to connect instead of quietly using
whatever dockerd runs on the machine: the engine tier (tests/engine) is where the engine is.
The kit's state folder (``KIT_STATE_DIR``: locks, remembered comparisons) is a temporary one per
session, so no unit test reads or writes the user's ``~/.local/state/kit``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_api import FakeAPIClient, FakeDockerClient

from kit.engine import Engine

NO_ENGINE = "unix:///nonexistent/kit-unit-tests/docker.sock"


@pytest.fixture(autouse=True, scope="session")
def _private_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KIT_STATE_DIR", str(tmp_path_factory.mktemp("kit-state")))
        yield


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    # The SDK falls back to the docker CLI's current context when DOCKER_HOST is unset; with it
    # set the context is never read, and a private config folder keeps the CLI's own out too.
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path_factory.mktemp("docker-config")))
    assert not Path(NO_ENGINE.removeprefix("unix://")).exists()


@pytest.fixture()
def fake_api() -> FakeAPIClient:
    return FakeAPIClient()


@pytest.fixture()
def fake_engine(fake_api: FakeAPIClient) -> Engine:
    return Engine(FakeDockerClient(fake_api))  # type: ignore[arg-type]
