"""kit.util.progress.timed: a step's wall seconds in the kit's log, whether it ends or raises."""

import logging
import time

import pytest

from kit.util.progress import timed


def _seconds(record: logging.LogRecord, label: str) -> float:
    text = record.getMessage()
    assert text.startswith(f"{label}: ") and text.endswith(" s")
    return float(text[len(label) + 2 : -2])


def test_a_step_logs_its_wall_seconds(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kit")
    with timed(None, "push and pull"):
        time.sleep(0.25)
    (record,) = [r for r in caplog.records if r.name == "kit"]
    assert 0.2 <= _seconds(record, "push and pull") < 5.0


def test_a_step_that_raises_still_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kit")
    with pytest.raises(ValueError), timed(None, "rebuild after an edit"):
        raise ValueError("broken")
    (record,) = [r for r in caplog.records if r.name == "kit"]
    assert _seconds(record, "rebuild after an edit") < 5.0
