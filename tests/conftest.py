"""Shared fixtures. Engine tests skip when no engine answers locally, but fail under CI=true:
a skipped engine suite is not a pass."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.engine import Engine
from kit.errors import EngineError

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    try:
        connected = Engine.connect(timeout=120)
    except EngineError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but no Docker engine answers: {exc}")
        pytest.skip(f"no Docker engine: {exc.message}")
    yield connected
    connected.close()


@pytest.fixture(scope="session")
def busybox(engine: Engine) -> str:
    """The smallest kit base; engine tests build their tiny variants on it."""
    ref = "kitbase/busybox:1"
    if engine.image(ref) is None:
        message = f"{ref} is missing: run `kit bases` (make test does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return ref


@pytest.fixture()
def no_leaks(engine: Engine) -> Iterator[None]:
    """Fail the test if it leaves kit containers or new dangling images behind."""
    before_images = engine.image_ids()
    yield
    left = engine.kit_containers()
    dangling = [
        img["Id"]
        for img in engine.api.images(filters={"dangling": True})
        if img["Id"] not in before_images
    ]
    assert not left, f"leaked containers: {left}"
    assert not dangling, f"leaked dangling images: {dangling}"
