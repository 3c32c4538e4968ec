"""kit.model.store: append-only runs, committed last, read back normalised; locks and damage."""

from __future__ import annotations

import errno
import json
import multiprocessing
import time
from pathlib import Path

import pandas as pd
import pytest
from results_factory import failed_row, image_row, results, trials

import kit.model.store as store_module
from kit.errors import LockedError, ResultsError, StoreError
from kit.model.results import Results
from kit.model.rows import SCHEMA_VERSION
from kit.model.store import Store
from kit.util.locks import file_lock


def run(run_id: str, stamp: str, size: int = 1_000_000) -> Results:
    return results(
        [image_row("slim", size_bytes=size, cache_key="k-slim"), failed_row("broken")],
        trials("slim", [0.5, 0.3, 0.31], warmups=1),
        run_id=run_id,
        timestamp_utc=stamp,
        git_commit="c0ffee",
    )


def test_appended_runs_read_back_as_one_table_with_envelopes(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append(run("r1", "2026-11-27T23:00:00+00:00", 100))
    store.append(run("r2", "2026-11-28T01:00:00+00:00", 90))
    images = store.table("images")
    assert list(images["run_id"]) == ["r1", "r1", "r2", "r2"]
    assert list(images.loc[images["variant"] == "slim", "size_bytes"]) == [100, 90]
    assert set(images["git_commit"]) == {"c0ffee"}
    assert set(images["schema_version"]) == {SCHEMA_VERSION}
    assert len(store.table("trials")) == 6
    assert store.results().run.run_id == "r2"
    assert (
        store.results(run_id="r1").image_rows
        == run("r1", "2026-11-27T23:00:00+00:00", 100).image_rows
    )


def test_empty_store_gives_empty_tables_with_columns(tmp_path: Path) -> None:
    store = Store(tmp_path / "none")
    frame = store.table("images")
    assert frame.empty and {"variant", "size_bytes", "run_id", "git_commit"} <= set(frame.columns)
    with pytest.raises(ResultsError, match="no runs"):
        store.results()


def test_a_run_is_stored_once(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append(run("r1", "2026-11-27T23:00:00+00:00"))
    with pytest.raises(ResultsError, match="already in the store"):
        store.append(run("r1", "2026-11-27T23:00:00+00:00"))


def test_uncommitted_parts_of_a_crashed_append_are_not_read(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append(run("r1", "2026-11-27T23:00:00+00:00"))
    store.append(run("r2", "2026-11-28T01:00:00+00:00"))
    # A crash after the tables but before the commit record: as if r2 never happened.
    (tmp_path / "runs" / "r2-tiny.json").unlink()
    (tmp_path / "images" / ".r3-tiny.parquet.x.tmp").write_bytes(b"half a file")
    assert set(store.table("images")["run_id"]) == {"r1"}


def test_a_corrupt_part_moves_its_run_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path)
    store.append(run("r1", "2026-11-27T23:00:00+00:00"))
    store.append(run("r2", "2026-11-28T01:00:00+00:00"))
    before = Store(tmp_path).table("images")
    bad = tmp_path / "trials" / "r1-tiny.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with caplog.at_level("WARNING", logger="kit"):
        trials_left = store.table("trials")
    assert set(trials_left["run_id"]) == {"r2"}
    said = caplog.text
    assert "r1-tiny" in said and "trials/r1-tiny.parquet" in said and "damaged" in said
    # The whole run went aside, each file where it was, with the reason.
    aside = tmp_path / "quarantine" / "r1-tiny"
    assert (aside / "trials" / "r1-tiny.parquet").read_bytes() == b"PAR1 this is not parquet"
    assert (aside / "runs" / "r1-tiny.json").is_file()
    assert (aside / "images" / "r1-tiny.parquet").is_file()
    assert "corrupt store file trials/r1-tiny.parquet" in (aside / "REASON").read_text()
    assert not (tmp_path / "runs" / "r1-tiny.json").exists()
    # The rest loads exactly as before, through this store object and a new one.
    for reader in (store, Store(tmp_path)):
        images = reader.table("images")
        pd.testing.assert_frame_equal(
            images.reset_index(drop=True),
            before[before["run_id"] == "r2"].reset_index(drop=True),
        )
        assert reader.results().run.run_id == "r2"
    with pytest.raises(ResultsError, match="no run r1"):
        Store(tmp_path).results(run_id="r1")


def test_a_corrupt_run_record_is_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path)
    store.append(run("r1", "2026-11-27T23:00:00+00:00"))
    store.append(run("r2", "2026-11-28T01:00:00+00:00"))
    (tmp_path / "runs" / "r2-tiny.json").write_text("{not json")
    with caplog.at_level("WARNING", logger="kit"):
        assert [r.part for r in store.runs()] == ["r1-tiny"]
    assert "corrupt run record runs/r2-tiny.json" in caplog.text
    assert (tmp_path / "quarantine" / "r2-tiny" / "runs" / "r2-tiny.json").read_text() == (
        "{not json"
    )
    assert set(Store(tmp_path).table("images")["run_id"]) == {"r1"}


def test_a_damaged_run_is_never_reused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append(run("r1", "2026-11-27T23:00:00+00:00"))
    store.append(run("r2", "2026-11-28T01:00:00+00:00"))
    (tmp_path / "layers" / "r2-tiny.parquet").write_bytes(b"garbage")
    found = Store(tmp_path).find("tiny", variant_key=("slim", "k-slim"))
    assert found is not None and found.run.run_id == "r1"


def test_check_lists_what_is_damaged_and_what_it_did(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for n in (1, 2, 3):
        store.append(run(f"r{n}", f"2026-11-2{n}T01:00:00+00:00"))
    (tmp_path / "trials" / "r2-tiny.parquet").write_bytes(b"garbage")
    (tmp_path / "runs" / "r3-tiny.json").unlink()  # a crash before the commit record
    (tmp_path / "images" / ".r4-tiny.parquet.abc.tmp").write_bytes(b"half")
    found = Store(tmp_path).check()
    kinds = {(f.kind, f.path) for f in found}
    assert ("damaged", "trials/r2-tiny.parquet") in kinds
    assert ("uncommitted", "images/r3-tiny.parquet") in kinds
    assert ("leftover", "images/.r4-tiny.parquet.abc.tmp") in kinds
    assert ("quarantined", "quarantine/r2-tiny") in kinds
    damaged = next(f for f in found if f.kind == "damaged")
    assert damaged.action == "run moved to quarantine/r2-tiny"
    assert not (tmp_path / "images" / ".r4-tiny.parquet.abc.tmp").exists()
    assert not (tmp_path / "images" / "r3-tiny.parquet").exists()
    assert [r.part for r in Store(tmp_path).runs()] == ["r1-tiny"]
    # A second check finds nothing new: only what is in quarantine.
    again = Store(tmp_path).check()
    assert {f.kind for f in again} == {"quarantined"}


def test_a_full_disk_leaves_nothing_of_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC faked at the third table's write (the engine suite fills a real tmpfs)."""
    store = Store(tmp_path / "store")
    store.append(run("r1", "2026-11-27T23:00:00+00:00"))
    files = sorted(p for p in (tmp_path / "store").rglob("*"))
    real = store_module.write_parquet
    calls = []

    def full(path: Path, frame: pd.DataFrame) -> None:
        calls.append(path)
        if len(calls) == 3:
            path.write_bytes(b"a partial file")  # as pyarrow leaves it
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, frame)

    monkeypatch.setattr(store_module, "write_parquet", full)
    with pytest.raises(StoreError) as raised:
        store.append(run("r2", "2026-11-28T01:00:00+00:00"))
    assert str(tmp_path / "store") in raised.value.message
    assert (
        "No space left on device" in raised.value.message and "free there" in raised.value.message
    )
    assert sorted(p for p in (tmp_path / "store").rglob("*")) == files
    monkeypatch.setattr(store_module, "write_parquet", real)
    store.append(run("r2", "2026-11-28T01:00:00+00:00"))
    assert [r.part for r in Store(tmp_path / "store").runs()] == ["r1-tiny", "r2-tiny"]


def test_older_schema_rows_are_normalised(tmp_path: Path) -> None:
    """A part written by schema 1 (no git_commit, parameters, cache columns) still loads."""
    store = Store(tmp_path)
    store.append(run("r2", "2026-11-28T01:00:00+00:00"))
    frame = run("r1", "2026-11-27T23:00:00+00:00").images
    old = frame.drop(
        columns=["git_commit", "batch_id", "parameters", "finished_utc", "cache_key", "cached_from"]
    ).assign(schema_version=1)
    old.to_parquet(tmp_path / "images" / "r1-tiny.parquet", index=False)
    for table in ("trials",):
        getattr(run("r1", "x"), table).to_parquet(tmp_path / table / "r1-tiny.parquet")
    meta = json.loads((tmp_path / "runs" / "r2-tiny.json").read_text())
    for key in ("git_commit", "batch_id", "parameters", "finished_utc"):
        del meta["run"][key]
    meta["run"].update(run_id="r1", timestamp_utc="2026-11-27T23:00:00+00:00", schema_version=1)
    (tmp_path / "runs" / "r1-tiny.json").write_text(json.dumps(meta))
    images = store.table("images")
    older = images[images["run_id"] == "r1"]
    assert list(older["schema_version"]) == [1, 1]
    assert older["git_commit"].isna().all() and older["cache_key"].isna().all()
    assert list(images.columns) == list(store.table("images").columns)
    loaded = store.results(run_id="r1")
    assert loaded.run.parameters == "{}" and loaded.run.schema_version == 1


def _hold(path: str, seconds: float) -> None:
    with file_lock(Path(path), what="test", timeout_s=None):
        time.sleep(seconds)


def test_a_second_writer_waits_then_fails_naming_the_holder(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    holder = multiprocessing.get_context("fork").Process(target=_hold, args=(str(lock), 3.0))
    holder.start()
    try:
        deadline = time.monotonic() + 5
        while not (lock.exists() and lock.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(LockedError) as caught:
            Store(tmp_path, lock_timeout_s=0.5).append(run("r1", "2026-11-27T23:00:00+00:00"))
        assert f"pid {holder.pid}" in str(caught.value)
        assert not (tmp_path / "runs").exists()  # nothing written without the lock
    finally:
        holder.join()
    # Once released, the next writer gets in.
    Store(tmp_path, lock_timeout_s=0.5).append(run("r1", "2026-11-27T23:00:00+00:00"))
    assert len(pd.read_parquet(tmp_path / "images" / "r1-tiny.parquet")) == 2


# -- two writers at once, and a reader during a commit -------------------------------------------
def _append_at(root: str, run_id: str, size: int, start: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    Store(root).append(run(run_id, "2026-11-28T02:00:00+00:00", size))


def test_two_processes_committing_at_the_same_moment_both_land_whole(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    start = context.Event()
    writers = [
        context.Process(target=_append_at, args=(str(tmp_path), f"w{i}", 100 + i, start))
        for i in range(2)
    ]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(60)
    assert [w.exitcode for w in writers] == [0, 0]
    store = Store(tmp_path)
    assert sorted(r.run.run_id for r in store.runs()) == ["w0", "w1"]
    for i in range(2):
        got = store.results(run_id=f"w{i}")
        assert got.image_rows == run(f"w{i}", "2026-11-28T02:00:00+00:00", 100 + i).image_rows
    images = store.table("images")
    assert sorted(images.loc[images["variant"] == "slim", "size_bytes"]) == [100, 101]
    # Every file is whole: no temp file left from either writer.
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".") and p.name != ".lock"]


def _append_paused(root: str, mid: object, go: object) -> None:
    """Append, stopping after the first table's part until told to go on."""
    from kit.model import store as module

    real = module.write_parquet
    calls = []

    def paused(path: Path, frame: pd.DataFrame) -> None:
        real(path, frame)
        calls.append(path)
        if len(calls) == 1:
            mid.set()  # type: ignore[attr-defined]
            go.wait(60)  # type: ignore[attr-defined]

    module.write_parquet = paused  # type: ignore[assignment]
    Store(root).append(run("r2", "2026-11-28T01:00:00+00:00", 90))


def test_a_reader_during_a_commit_sees_the_store_as_it_was(tmp_path: Path) -> None:
    Store(tmp_path).append(run("r1", "2026-11-27T23:00:00+00:00", 100))
    context = multiprocessing.get_context("fork")
    mid, go = context.Event(), context.Event()
    writer = context.Process(target=_append_paused, args=(str(tmp_path), mid, go))
    writer.start()
    try:
        assert mid.wait(60), "the writer never wrote its first part"
        assert (tmp_path / "images" / "r2-tiny.parquet").exists()  # a part without its commit
        during = Store(tmp_path)
        assert [r.run.run_id for r in during.runs()] == ["r1"]
        assert list(during.table("images")["run_id"]) == ["r1", "r1"]
        assert during.results().run.run_id == "r1"
    finally:
        go.set()
        writer.join(60)
    assert writer.exitcode == 0
    after = Store(tmp_path)
    assert [r.run.run_id for r in after.runs()] == ["r1", "r2"]
    assert list(after.table("images")["run_id"]) == ["r1", "r1", "r2", "r2"]


def test_kit_store_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kit import cli

    store = Store(tmp_path / "store")
    store.append(run("r1", "2026-11-27T23:00:00+00:00"))
    store.append(run("r2", "2026-11-28T01:00:00+00:00"))
    argv = ["store", "check", "--store", str(tmp_path / "store")]
    assert cli.main(argv) == 0
    assert "2 run(s) intact, 0 finding(s)" in capsys.readouterr().out
    (tmp_path / "store" / "images" / "r1-tiny.parquet").write_bytes(b"garbage")
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    assert "damaged: images/r1-tiny.parquet: unreadable table part" in out
    assert "-> run moved to quarantine/r1-tiny" in out
    assert "1 run(s) intact" in out
    assert cli.main(["store", "check", "--store", str(tmp_path / "none")]) == 2
