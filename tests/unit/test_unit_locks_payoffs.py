"""Timed steps on one engine never overlap; a variant whose build failed is skipped, with why."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest
from results_factory import failed_row, image_row

from kit.errors import LockedError
from kit.inputs.app import App
from kit.inputs.experiment import Probe
from kit.model.rows import DistributionRow, RebuildRow
from kit.pipeline.payoffrows import with_payoffs
from kit.pipeline.payoffs import Payoffs, measure_payoffs
from kit.util.locks import engine_idle, engine_in_use, engine_lock, engine_users


def _first(engine_id: str, state: str, marks: str) -> None:
    """Hold the lock until the second process shows up inside its own (or 5 s pass)."""
    os.environ["KIT_STATE_DIR"] = state
    with engine_lock(engine_id):
        Path(marks, "first-in").touch()
        deadline = time.monotonic() + 5
        while not Path(marks, "second-in").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        Path(marks, "second-was-in").write_text(str(Path(marks, "second-in").exists()))


def _second(engine_id: str, state: str, marks: str) -> None:
    os.environ["KIT_STATE_DIR"] = state
    while not Path(marks, "first-in").exists():
        time.sleep(0.02)
    with engine_lock(engine_id):
        Path(marks, "second-in").touch()


@pytest.mark.parametrize(("second", "together"), [("daemon-a", False), ("daemon-b", True)])
def test_timed_steps_on_one_engine_take_turns(tmp_path: Path, second: str, together: bool) -> None:
    marks, state = tmp_path / "marks", str(tmp_path / "state")
    marks.mkdir()
    ctx = multiprocessing.get_context("fork")
    workers = [
        ctx.Process(target=_first, args=("daemon-a", state, str(marks))),
        ctx.Process(target=_second, args=(second, state, str(marks))),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(20)
    # One engine: the second waits outside until the first is done. Two: both are in at once.
    assert (marks / "second-was-in").read_text() == str(together)
    assert (marks / "second-in").exists()


def test_a_failed_variant_is_skipped_with_its_reason() -> None:
    app = App("tiny", Path("/nonexistent"), "tiny", Probe(), (), (), {})
    rows = [failed_row("broken", error="build failed: RUN exit 3")]
    # No ok image: no registry is started and no engine call is made.
    found = measure_payoffs(
        None,  # type: ignore[arg-type]
        app,
        "local",
        rows,
        (),
        distribution=2,
        rebuild=0,
        capacity=False,
    )
    assert [(d.variant, d.status) for d in found.distribution] == [("broken", "skipped")]
    assert "build failed: RUN exit 3" in str(found.distribution[0].error)


def test_medians_come_from_ok_cold_pushes_and_ok_rebuilds_only() -> None:
    def push(trial: int, mode: str, push_s: float | None, status: str = "ok") -> DistributionRow:
        return DistributionRow("slim", trial, mode, push_s, 1.0, 100, 10, status, None, "tiny")

    payoffs = Payoffs(
        distribution=(
            push(0, "cold", 3.0),
            push(1, "cold", 5.0),
            push(2, "cold", None, "failed"),
            push(0, "warm", 0.1),
        ),
        rebuild=(
            RebuildRow("slim", "server.js", 0.4, 2, "ok", None, "tiny", 0),
            RebuildRow("slim", "server.js", None, None, "failed", "boom", "tiny", 1),
        ),
    )
    (row,) = with_payoffs([image_row("slim")], payoffs)
    assert row.push_median_s == 4.0 and row.pull_median_s == 1.0 and row.pushed_bytes == 100
    assert row.rebuild_s == 0.4 and row.rebuild_steps == 2


# -- the engine's users, for `kit clean` ----------------------------------------------------------
def _use(engine_id: str, state: str, marks: str, what: str) -> None:
    os.environ["KIT_STATE_DIR"] = state
    with engine_in_use(engine_id, what):
        Path(marks, f"{what}-in").touch()
        while not Path(marks, "done").exists():
            time.sleep(0.02)


def test_engine_idle_names_every_user_and_waits_for_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, marks = str(tmp_path / "state"), str(tmp_path)
    monkeypatch.setenv("KIT_STATE_DIR", state)
    context = multiprocessing.get_context("fork")
    users = [context.Process(target=_use, args=("d1", state, marks, w)) for w in ("run a", "run b")]
    for user in users:
        user.start()
    try:
        deadline = time.monotonic() + 10
        while not all(Path(marks, f"{w}-in").exists() for w in ("run a", "run b")):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        started = time.monotonic()
        with pytest.raises(LockedError) as caught, engine_idle("d1", "kit clean refuses"):
            pass
        assert time.monotonic() - started < 5  # refused at once, not after a wait
        message = str(caught.value)
        for user, what in zip(users, ("run a", "run b"), strict=True):
            assert f"pid {user.pid} on " in message and what in message
        with engine_idle("d2", "another engine"):  # another engine's users are not ours
            pass
    finally:
        Path(marks, "done").touch()
        for user in users:
            user.join(10)
    with engine_idle("d1", "kit clean"):  # they are done: nobody uses the engine
        assert engine_users("d1") == []


def test_a_killed_users_file_does_not_hold_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, marks = str(tmp_path / "state"), str(tmp_path)
    monkeypatch.setenv("KIT_STATE_DIR", state)
    user = multiprocessing.get_context("fork").Process(
        target=_use, args=("d1", state, marks, "killed run")
    )
    user.start()
    deadline = time.monotonic() + 10
    while not Path(marks, "killed run-in").exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    user.kill()
    user.join(10)
    left = list((tmp_path / "state" / "locks").glob("*.users/*"))
    assert len(left) == 1, "a killed run cannot remove its file"
    with engine_idle("d1", "kit clean"):
        assert not left[0].exists()
