"""Bases built side by side: never before the bases they build on, never more than ``jobs`` at
once, a failure starting nothing more and raised after the running builds end, and one cleanup of
the untagged stages at the end."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from kit.errors import BasesError
from kit.host import bases
from kit.host.bases import BASES, BaseOutcome, BaseSpec, ensure_bases


@dataclass
class FakeImages:
    dangling_cleanups: list[set[str]] = field(default_factory=list)

    def inspect(self, ref: str) -> None:
        return None  # nothing present: every base is made

    def ids(self) -> set[str]:
        return {"sha256:before"}

    def remove_dangling_since(self, before: set[str]) -> int:
        self.dangling_cleanups.append(before)
        return 0


@dataclass
class FakeInfo:
    daemon_id: str = "fake-daemon"
    host: str = "unix:///nowhere"


class FakeEngine:
    def __init__(self) -> None:
        self.images = FakeImages()

    def info(self) -> FakeInfo:
        return FakeInfo()


class Recorder:
    """Stands in for one base's build: notes when it starts and ends, and how many overlap."""

    def __init__(self, fail: str | None = None) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[str, str]] = []
        self.running = 0
        self.most = 0
        self.fail = fail

    def __call__(self, engine: Any, spec: BaseSpec, on_start: Any, on_line: Any) -> BaseOutcome:
        with self.lock:
            self.events.append(("start", spec.ref))
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
            self.events.append(("end", spec.ref))
        if spec.ref == self.fail:
            raise BasesError(f"building {spec.ref} failed: exit code 100")
        return BaseOutcome(spec.ref, "built", 0.02, 1)


def _position(events: list[tuple[str, str]], kind: str, ref: str) -> int:
    return events.index((kind, ref))


def test_every_base_starts_after_the_bases_it_builds_on_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = Recorder()
    monkeypatch.setattr(bases, "_make_one", record)
    engine = FakeEngine()
    outcomes = ensure_bases(engine, jobs=2)  # type: ignore[arg-type]
    assert [o.ref for o in outcomes] == [b.ref for b in BASES]
    # Read from the Dockerfiles' FROM lines by hand: what each base is built on.
    built_on = {
        "kitbase/debian:12-slim": "kitbase/debian:12",
        "kitbase/node:18-full": "kitbase/debian:12",
        "kitbase/node:18-slim": "kitbase/debian:12-slim",
        "kitbase/node:18-runtime": "kitbase/debian:12-slim",
        "kitbase/node:18-runtime-nonroot": "kitbase/node:18-runtime",
        "kitbase/python:3.11-runtime-nonroot": "kitbase/python:3.11-runtime",
    }
    for child, parent in built_on.items():
        assert _position(record.events, "end", parent) < _position(record.events, "start", child)
    assert record.most == 2  # side by side, and never more
    assert engine.images.dangling_cleanups == [{"sha256:before"}]


def test_one_job_builds_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    record = Recorder()
    monkeypatch.setattr(bases, "_make_one", record)
    ensure_bases(FakeEngine(), jobs=1)  # type: ignore[arg-type]
    assert record.most == 1


def test_a_failure_starts_nothing_built_on_it_and_is_raised_after_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = Recorder(fail="kitbase/debian:12-slim")
    monkeypatch.setattr(bases, "_make_one", record)
    engine = FakeEngine()
    with pytest.raises(BasesError, match="debian:12-slim failed"):
        ensure_bases(engine, jobs=2)  # type: ignore[arg-type]
    started = {ref for kind, ref in record.events if kind == "start"}
    assert "kitbase/node:18-slim" not in started
    assert "kitbase/python:3.11-runtime" not in started
    # Every build that started has ended before the error came out, and the stages were cleaned.
    assert len([e for e in record.events if e[0] == "end"]) == len(started)
    assert engine.images.dangling_cleanups == [{"sha256:before"}]


def test_only_builds_what_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    record = Recorder()
    monkeypatch.setattr(bases, "_make_one", record)
    outcomes = ensure_bases(FakeEngine(), only=("kitbase/busybox:1",))  # type: ignore[arg-type]
    assert [o.ref for o in outcomes] == ["kitbase/busybox:1"]
    assert record.events == [("start", "kitbase/busybox:1"), ("end", "kitbase/busybox:1")]
