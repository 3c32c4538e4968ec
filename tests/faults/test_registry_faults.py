"""The registry killed in the middle of a push: a failed distribution row naming it, the
registry's process and storage gone, the image with its tags and nothing else."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from conftest import measure_on
from fourway import FailedPart, FourWay

from kit.engine import Engine
from kit.measure.transfer import push_pull as distribution
from kit.model.results import Results


def test_registry_killed_mid_push(
    engine: Engine, store: Path, fourway: FourWay, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = distribution._Trial._alive
    killed: list[int] = []

    def kill_registry_at_first_event(self: distribution._Trial, event: object) -> None:
        if not killed and self.registry.pid is not None:
            os.kill(self.registry.pid, signal.SIGKILL)
            killed.append(self.registry.pid)
            self.registry._proc.wait()  # type: ignore[union-attr]  # dead, as the kit will see
        real(self, event)  # type: ignore[arg-type]

    monkeypatch.setattr(distribution._Trial, "_alive", kill_registry_at_first_event)
    results = measure_on(engine, "flt-base", store=store, distribution=1)
    monkeypatch.setattr(distribution._Trial, "_alive", real)
    assert killed, "the push never started"
    (cold,) = [d for d in results.distribution_rows if d.mode == "cold"]
    image = next(r for r in results.image_rows if r.variant == "tiny")
    assert image.status == "ok" and image.push_median_s is None
    # The image kept its id and tag (a failed push must not lose it).
    assert engine.api.inspect_image(str(image.tag))["Id"] == image.image_id

    def rerun() -> Results:
        again = measure_on(engine, "flt-base", store=store, distribution=1)
        assert [d.status for d in again.distribution_rows if d.mode == "cold"] == ["ok"]
        return again

    fourway.check(
        FailedPart("distribution", cold.status, cold.error, ["registry", "stopped during"]),
        rerun,
    )
