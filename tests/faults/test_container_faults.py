"""Hostile containers under test: one that ignores SIGTERM, one that forks daemons, one that
logs 32 MiB before it is ready (dockerd's json-file logger passes about 1.5 MiB/s of short lines
on this machine, so a bigger log only makes the test slower: the memory check is relative)."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import app_dir, measure_on
from fourway import FailedRow, FourWay, copy_app

from kit.engine import Engine
from kit.measure import start as start_module
from kit.model.results import Results


def test_a_container_that_ignores_sigterm(engine: Engine, store: Path, fourway: FourWay) -> None:
    results = measure_on(engine, "flt-stubborn", store=store)
    deaf = next(r for r in results.image_rows if r.variant == "deaf")
    assert deaf.status == "ok", deaf.error  # started, probed, then removed (SIGKILL, no wait)

    fourway.check(
        FailedRow(results, "hang", "ProbeTimeoutError", ["no line matched", "in 3 s"]),
        lambda: measure_on(engine, "flt-stubborn", store=store, variants=("deaf",), force=True),
    )


def _with_token(token: str) -> list[int]:
    """Host pids of processes running ``sleep <token>``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[:2] == [b"sleep", token.encode()]:
                found.append(int(entry.name))
    return found


def test_a_container_that_forks_daemons(
    engine: Engine,
    store: Path,
    fourway: FourWay,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = str(7_000_000 + secrets.randbelow(999_999))  # seconds: never ends by itself
    app = copy_app(app_dir("flt-daemons"), tmp_path, f'[profiles.local.args]\nTOKEN = "{token}"\n')
    real = start_module.wait_ready
    running: list[int] = []

    def counted(*args: Any) -> Any:
        try:
            return real(*args)
        finally:
            running.append(len(_with_token(token)))  # the daemons, seen from the host

    monkeypatch.setattr(start_module, "wait_ready", counted)
    results = measure_on(engine, app, store=store)
    assert running and max(running) >= 5, f"the daemons never ran: {running}"
    # None outlives its container, whether the service was ready or died first.
    assert _with_token(token) == [], "a daemon of a removed container is still running"

    def rerun() -> Results:
        again = measure_on(engine, app, store=store, variants=("daemons",), force=True)
        assert _with_token(token) == []
        return again

    fourway.check(FailedRow(results, "orphans", "ContainerExitError", ["code 3"]), rerun)


PEAK = """
import resource, sys
from kit.engine import RUN_LABEL, Engine
from kit.measure.start import run_trial
from kit.inputs.app import load_app
engine = Engine.connect()
app = load_app(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run_trial(engine, sys.argv[2], app.probe, {RUN_LABEL: sys.argv[3]}, trial=0, warmup=False,
          track=lambda c: None, untrack=lambda c: None)
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_a_huge_log(engine: Engine, store: Path, fourway: FourWay) -> None:
    results = measure_on(engine, "flt-loud", store=store)
    loud = next(r for r in results.image_rows if r.variant == "loud")
    assert loud.status == "ok", loud.error
    shouts = next(r for r in results.image_rows if r.variant == "shouts")
    assert shouts.log_tail is not None and len(shouts.log_tail.splitlines()) <= 25
    # Reading 32 MiB of log until "ready" must not hold it: one more start in a fresh process,
    # its peak memory (KiB) before and after must grow by less than a quarter of the log.
    peak = subprocess.run(
        [sys.executable, "-c", PEAK, str(app_dir("flt-loud")), str(loud.tag), "fault-huge-log"],
        capture_output=True,
        text=True,
        check=True,
    )
    before_kib, after_kib = map(int, peak.stdout.split())
    assert after_kib - before_kib < 8 * 1024, f"the log probe grew by {after_kib - before_kib} KiB"
    fourway.check(
        FailedRow(results, "shouts", "ContainerExitError", ["before logging 'ready'"]),
        lambda: measure_on(engine, "flt-loud", store=store, variants=("loud",), force=True),
    )
