"""Stored measurements are reused only while their image is on the engine, under its tag: after
the image is removed, or its tag taken by another image, the variant is measured again and the
log says why; the payoffs (capacity, rebuild) are measured again then, never stored empty and
then reused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kit.engine import Engine
from kit.model.results import Results
from kit.model.store import Store

Measure = Callable[..., Results]


def _row(results: Results, variant: str):  # type: ignore[no-untyped-def]
    return next(r for r in results.image_rows if r.variant == variant)


def test_a_removed_image_is_measured_again(
    engine: Engine,
    measure: Measure,
    check,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    no_leaks: None,
) -> None:
    store = Store(tmp_path / "store")
    first = measure("eng-good", store=store)
    tiny = check.ok(first, "tiny")
    check.ok(first, "layered")
    assert engine.images.remove(str(tiny.tag), force=True)  # as `kit clean --images` does
    with caplog.at_level("INFO", logger="kit"):
        second = measure("eng-good", store=store)
    again = check.ok(second, "tiny")
    assert again.cached_from is None, "the row of an image that is gone was reused"
    assert engine.api.inspect_image(str(again.tag))["Id"] == again.image_id
    assert _row(second, "layered").cached_from == first.run.run_id  # its image is still there
    assert f"unchanged since run {first.run.run_id}, but its image" in caplog.text
    assert "no longer on the engine" in caplog.text


def test_a_tag_taken_by_another_image_is_measured_again(
    engine: Engine, measure: Measure, check, busybox: str, tmp_path: Path, no_leaks: None
) -> None:
    store = Store(tmp_path / "store")
    first = measure("eng-good", store=store, variants=("layered",))
    layered = check.ok(first, "layered")
    # Another build took the tag: the stored image id is still there, but not under the tag.
    repo, _, tag = str(layered.tag).rpartition(":")
    engine.api.tag(busybox, repo, tag, force=True)
    second = measure("eng-good", store=store, variants=("layered",))
    again = check.ok(second, "layered")
    assert again.cached_from is None
    assert engine.api.inspect_image(str(again.tag))["Id"] == again.image_id
    assert again.image_id != engine.api.inspect_image(busybox)["Id"]
    assert engine.images.remove(str(layered.image_id))  # this test untagged it: it removes it


def test_capacity_is_never_stored_empty_then_reused(
    engine: Engine, measure: Measure, check, tmp_path: Path, no_leaks: None
) -> None:
    store = Store(tmp_path / "store")
    first = measure("eng-good", store=store, floor=False)
    for variant in ("tiny", "layered"):
        assert engine.images.remove(str(check.ok(first, variant).tag), force=True)
    second = measure("eng-good", store=store, floor=False, capacity=True)
    assert {r.variant for r in second.capacity_rows} == {"tiny", "layered"}
    third = measure("eng-good", store=store, floor=False, capacity=True)
    # Reused whole, from the run that measured it, and not empty.
    assert third.capacity_rows == second.capacity_rows
    assert all(_row(third, v).cached_from == second.run.run_id for v in ("tiny", "layered"))


def test_rebuild_after_the_images_are_gone_is_measured_then_reused_whole(
    engine: Engine, measure: Measure, check, tmp_path: Path, no_leaks: None
) -> None:
    """A stored app whose images were removed, run again with ``rebuild``: the rebuild rows come
    from a real rebuild of each variant, and the next run reuses those very rows."""
    store = Store(tmp_path / "store")
    first = measure("eng-rebuild", store=store, floor=False)
    for variant in ("deps-first", "copy-first"):
        assert engine.images.remove(str(check.ok(first, variant).tag), force=True)
    second = measure("eng-rebuild", store=store, floor=False, rebuild=1)
    rows = {r.variant: r for r in second.rebuild_rows}
    assert set(rows) == {"deps-first", "copy-first"}
    assert all(r.status == "ok" and r.edited_file == "app.py" for r in rows.values())
    # Read off the Dockerfiles (as in test_copy_first_rebuilds_more_steps): copy-first also
    # re-runs the install RUN; the classic builder counts CMD as a step of its own.
    extra = 1 if second.run.builder == "classic" else 0
    assert rows["deps-first"].steps_rebuilt == 1 + extra
    assert rows["copy-first"].steps_rebuilt == 2 + extra
    third = measure("eng-rebuild", store=store, floor=False, rebuild=1)
    assert third.rebuild_rows == second.rebuild_rows
    assert all(_row(third, v).cached_from == second.run.run_id for v in rows)
