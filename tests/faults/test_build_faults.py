"""A build that never ends (``RUN sleep 100000``) under each builder: cancelled on the engine at
the app's ``[build] timeout_s`` (5 s here), a failed row saying it timed out, the other variant
measured, nothing left behind, and a rerun without the endless step succeeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import app_dir, measure_on
from fourway import FailedRow, FourWay, copy_app

from kit.engine import Engine


@pytest.mark.parametrize("builder", ["buildkit", "classic"])
def test_a_build_that_never_ends(
    engine: Engine, store: Path, fourway: FourWay, tmp_path: Path, builder: str
) -> None:
    endless = copy_app(
        app_dir("flt-endless"), tmp_path / "fault", '[profiles.local.args]\nNAP = "100000"\n'
    )
    results = measure_on(engine, endless, store=store, builder=builder)
    assert results.run.builder == builder
    tiny = next(r for r in results.image_rows if r.variant == "tiny")
    assert tiny.status == "ok" and tiny.size_bytes, tiny.error  # the other variant measured
    row = next(r for r in results.image_rows if r.variant == "endless")
    assert row.log_tail and "KIT-ENDLESS-STEP" in row.log_tail  # it did reach the endless step
    fourway.check(
        FailedRow(
            results,
            "endless",
            "BuildTimeoutError",
            ["timed out", "Dockerfile.endless", "within 5 s", builder, "cancelled"],
        ),
        lambda: measure_on(engine, app_dir("flt-endless"), store=store, builder=builder),
    )
