"""The ``bases`` and ``engine`` options added for the official names and the Hub stand-in, on
paths that need no engine: option combinations that make no sense, and ``down --hub`` with
nothing up."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.cli.main import main


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    # Nothing here may reach an engine: a socket that does not exist.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    return tmp_path / "state"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bases", "--force"], "--force goes with --as-official"),
        (["engine", "up", "--seed", "node:18"], "--seed goes with `kit engine up --hub`"),
        (["engine", "down", "--hub", "--seed", "node:18"], "--seed goes with"),
    ],
)
def test_options_that_make_no_sense(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_down_hub_with_nothing_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["engine", "down", "--hub"]) == 0
    assert capsys.readouterr().out.strip() == "no Hub stand-in is up"


def test_list_without_an_engine_prints_the_mapping(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bases", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["node:18-slim"] == ["kitbase/node:18-slim", "?"]
    assert rows["gcr.io/distroless/python3-debian12:nonroot"][0] == (
        "kitbase/python:3.11-runtime-nonroot"
    )
    assert len(rows) == 18
