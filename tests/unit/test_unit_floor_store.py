"""The floor on an engine whose store it cannot trace yet: a reason naming the engine, its API
version, its storage driver and what to do — never a floor of 0 bytes. The info is the one
Engine 28.5.2 with the containerd image store reported (``docker info``, 2026-12-07)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kit.engine.models import EngineInfo
from kit.measure.floor import trace

ENGINE_28_CONTAINERD = EngineInfo(
    version="28.5.2+dfsg4",
    api_version="1.51",
    storage_driver="overlayfs",
    containerd_store=True,
    host="http+docker://localhost",
)


@dataclass
class _Engine:
    found: EngineInfo

    def info(self) -> EngineInfo:
        return self.found


def test_containerd_store_reason_names_engine_and_remedy(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(trace.os, "geteuid", lambda: 0)
    reason = trace._untraceable(_Engine(ENGINE_28_CONTAINERD), {})  # type: ignore[arg-type]
    assert reason is not None
    for part in ("28.5.2+dfsg4", "API 1.51", "'overlayfs'", "containerd image store"):
        assert part in reason
    assert "--store overlay2" in reason
