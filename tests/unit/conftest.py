"""Unit-suite fixtures: an :class:`Engine` over the recorded-JSON fake, never a real engine."""

from __future__ import annotations

import pytest
from fake_api import FakeAPIClient, FakeDockerClient

from kit.engine import Engine


@pytest.fixture()
def fake_api() -> FakeAPIClient:
    return FakeAPIClient()


@pytest.fixture()
def fake_engine(fake_api: FakeAPIClient) -> Engine:
    return Engine(FakeDockerClient(fake_api))  # type: ignore[arg-type]
