"""Shared fixtures. Engine tests skip when no engine answers locally, but fail under CI=true:
a skipped engine suite is not a pass."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prereq import need_image, unavailable

from kit.engine import Engine
from kit.errors import EngineError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kit measure` appends to ./results by default; a test must never write into the user's."""
    monkeypatch.setenv("KIT_STORE", str(tmp_path_factory.mktemp("store")))


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    try:
        connected = Engine.connect(timeout=120)
    except EngineError as exc:
        unavailable(f"no Docker engine answers: {exc.message}")
    yield connected
    connected.close()


@pytest.fixture(scope="session")
def busybox(engine: Engine) -> str:
    """The smallest kit base; engine tests build their tiny variants on it."""
    ref = "kitbase/busybox:1"
    need_image(engine, ref)
    return ref


@pytest.fixture()
def no_leaks(engine: Engine) -> Iterator[None]:
    """Fail the test if it leaves kit containers or new dangling images behind."""
    before_images = engine.images.ids()
    yield
    left = engine.containers.kit_containers()
    dangling = [
        img["Id"]
        for img in engine.api.images(filters={"dangling": True})
        if img["Id"] not in before_images
    ]
    assert not left, f"leaked containers: {left}"
    assert not dangling, f"leaked dangling images: {dangling}"
