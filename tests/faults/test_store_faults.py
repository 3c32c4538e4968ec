"""Faults of the result store: a full disk under it, two batches writing to it at once, a
corrupt file in it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import app_dir, fill, measure_on
from fourway import Exited, FourWay
from test_interrupt_faults import _batch, measuring_notebook

from kit import cli
from kit.engine import Engine
from kit.model.store import Store


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_disk_full_under_the_store(
    engine: Engine,
    earlier_store: Path,
    tmp_path: Path,
    tmpfs,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A real tmpfs, filled until 16 kB are left: the run's tables do not fit."""
    mount = tmpfs(tmp_path / "small", "8m")
    store = mount / "store"
    shutil.copytree(earlier_store, store)
    fourway = FourWay(engine, store)
    fourway.before()
    filler = fill(mount, 16 * 1024)
    before = _files(store)
    argv = ["measure", str(app_dir("flt-base")), "--profile", "local", "--trials", "1"]
    code = cli.main([*argv, "--store", str(store), "--quiet"])
    said = capsys.readouterr().err
    assert _files(store) == before, "the failed append left files in the store (or changed one)"

    def rerun() -> int:
        filler.unlink()
        return cli.main([*argv, "--store", str(store), "--quiet"])

    fourway.check(
        Exited(code, 2, said, ["StoreError", str(store), "No space left on device", "free there"]),
        rerun,
    )
    assert len(Store(store).runs()) == 2


def test_two_batches_on_one_store(
    engine: Engine, store: Path, fourway: FourWay, tmp_path: Path
) -> None:
    """Two batches (different run ids) measuring into one store at once both commit; a third
    on a run id already running stops at once, naming the lock's holder."""
    # The cells wait at a gate until the batch on the same run id has been turned away: with
    # its measurements reused from the store, the first could otherwise end before it starts.
    gate = tmp_path / "gate"
    gate.touch()
    matrix = measuring_notebook(tmp_path / "nb", app_dir("flt-base"), gate)
    runs = tmp_path / "runs"
    first = _batch(matrix, "fault-first", runs, store)
    deadline = time.monotonic() + 120
    while not (runs / "fault-first" / "batch.json").exists():  # it holds its run dir's lock
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    second = _batch(matrix, "fault-second", runs, store)
    same = _batch(matrix, "fault-first", runs, store)
    out = {"same": (same.communicate(timeout=900)[0].decode(), same.returncode)}
    gate.unlink()
    for name, batch in (("first", first), ("second", second)):
        out[name] = (batch.communicate(timeout=900)[0].decode(), batch.returncode)
    assert out["first"][1] == 0, out["first"][0]
    assert out["second"][1] == 0, out["second"][0]
    runs_now = Store(store).runs()
    assert len(runs_now) == 3, [r.part for r in runs_now]

    def rerun() -> int:
        again = _batch(matrix, "fault-third", runs, store)
        said = again.communicate(timeout=900)[0].decode()
        assert again.returncode == 0, said
        return again.returncode

    fourway.check(
        Exited(out["same"][1], 2, out["same"][0], ["LockedError", "is locked by pid"]), rerun
    )


def test_a_corrupt_store_file(
    engine: Engine, store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One damaged part: the next measurement still runs (the run is moved aside with a warning
    naming it), and `kit store check` lists it."""
    measure_on(engine, "flt-base", store=store, force=True)  # a second earlier run, to damage
    fourway = FourWay(engine, store)
    fourway.before()
    damaged = Store(store).runs()[-1].part
    part = store / "trials" / f"{damaged}.parquet"
    part.write_bytes(part.read_bytes()[:40])  # cut short, as a crash of the disk would
    cut = part.read_bytes()
    argv = ["measure", str(app_dir("flt-base")), "--profile", "local", "--trials", "1"]
    argv += ["--warmups", "0", "--store", str(store)]
    code = cli.main(argv)
    said = capsys.readouterr()
    assert code == 0, said.err
    aside = store / "quarantine" / damaged
    assert (aside / "trials" / f"{damaged}.parquet").read_bytes() == cut
    assert (aside / "runs" / f"{damaged}.json").is_file()

    def rerun() -> int:
        checked = subprocess.run(
            [*_kit(), "store", "check", "--store", str(store)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 1, checked  # damage was found (by the measurement)
        assert f"quarantined: quarantine/{damaged}:" in checked.stdout
        assert "corrupt store file trials/" in checked.stdout
        return cli.main(argv)

    fourway.check(
        Exited(code, 0, said.err, ["is damaged", damaged, "trials/", "moved to"]),
        rerun,
        damaged=[damaged],
    )


def _kit() -> list[str]:
    return [sys.executable, "-m", "kit"]
