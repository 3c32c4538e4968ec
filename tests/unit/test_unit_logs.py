"""kit.util.logs: JSON lines carry a KitError's context as fields."""

from __future__ import annotations

import json
import logging

import pytest

from kit.errors import BuildError
from kit.util import logs


def test_json_lines_keep_the_error_context(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure(json_lines=True)
        exc = BuildError("build failed", app="tiny", variant="slim", file="Dockerfile.slim")
        logging.getLogger("kit").warning("%s", exc.message, extra=exc.context())
        logging.getLogger("kit").debug("not shown at info level")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "warning" and entry["logger"] == "kit"
    assert entry["message"] == "build failed"
    assert (entry["app"], entry["variant"], entry["file"]) == ("tiny", "slim", "Dockerfile.slim")


def test_quiet_keeps_warnings_only() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure(quiet=True)
        assert root.level == logging.WARNING
        logs.configure(verbose=True)
        assert root.level == logging.DEBUG
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
