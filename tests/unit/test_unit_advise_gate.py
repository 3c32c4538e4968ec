"""``kit check --advise-max-mb N`` and ``kit advise --json`` on advice written here by hand
(no engine): the bytes below are made up and the expected MB worked out from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kit.advise.advise as advise_module
from kit import cli
from kit.advise.document import SCHEMA, document
from kit.advise.gate import advice_checks, messages
from kit.advise.verdicts import Advice, Sizes, Tried
from kit.inputs.experiment import Probe

ORIGINAL = Sizes(1_023_000_000, 380_000_000, 9, 40.0, 1.0, 0.5, 3.0, 3)


def _advice(directory: Path) -> Advice:
    light = Sizes(353_000_000, 120_000_000, 9, 30.0, 1.0, 0.4, 3.0, 3)
    chained = Sizes(1_022_500_000, 379_900_000, 8, 40.0, 1.0, 0.5, 3.0, 3)
    tried = (
        Tried("light-base", "base", "a slimmer tag", "saves", "python:3.11 → 3.11-slim",
              ("FROM python:3.11-slim",), light, 670_000_000),
        Tried("chain-runs", "layers", "consecutive RUNs chained", "no effect", "2 RUNs",
              (), chained, 500_000),
        Tried("ignore-file", "context", "a .dockerignore", "breaks",
              "exit_code 1 (the original's 0)"),
        Tried("distroless", "base", "a distroless release", "n/a", "the stage runs a shell"),
    )  # fmt: skip
    return Advice(
        directory, directory / "Dockerfile", Probe("http", "/"), "derived: EXPOSE 8000",
        ORIGINAL, tried,
    )  # fmt: skip


def test_a_technique_saving_more_than_the_limit_is_exceeded(tmp_path: Path) -> None:
    checks = advice_checks(_advice(tmp_path), 50)
    by = {c.variant: c for c in checks}
    # Only the techniques measured against the original: breaks and n/a save nothing here.
    assert set(by) == {"advise:light-base", "advise:chain-runs"}
    assert by["advise:light-base"].verdict == "exceeded"
    assert by["advise:light-base"].value == pytest.approx(670.0)  # 670,000,000 B / 10^6
    assert by["advise:chain-runs"].verdict == "within"
    assert by["advise:chain-runs"].value == pytest.approx(0.5)
    lines = messages("quotes-api", [c for c in checks if c.verdict == "exceeded"])
    assert lines == [
        "quotes-api: light-base would save 670.0 MB, more than the 50 MB --advise-max-mb "
        "allows (kit advise writes it)"
    ]


def test_a_limit_above_every_saving_holds(tmp_path: Path) -> None:
    checks = advice_checks(_advice(tmp_path), 700)
    assert {c.verdict for c in checks} == {"within"}


def test_nothing_left_to_try_holds(tmp_path: Path) -> None:
    lean = Advice(tmp_path, tmp_path / "Dockerfile", Probe(), "derived", ORIGINAL, ())
    (only,) = advice_checks(lean, 10)
    assert only.verdict == "within" and "nothing left to save" in only.measured


def test_the_json_document_has_the_documented_keys(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(document(_advice(tmp_path))))
    assert doc["schema"] == SCHEMA == "kit-advice/1"
    assert list(doc) == [
        "schema", "directory", "dockerfile", "probe", "original", "tried", "advised",
        "combined", "dropped", "advised_path", "ignore_path", "diff", "notes",
    ]  # fmt: skip
    assert doc["probe"] == {
        "kind": "http", "path": "/", "pattern": None, "timeout_s": 30.0,
        "source": "derived: EXPOSE 8000",
    }  # fmt: skip
    assert list(doc["tried"][0]) == [
        "technique", "family", "does", "verdict", "why", "changes", "sizes", "saved_bytes",
    ]  # fmt: skip
    assert doc["tried"][0]["sizes"]["size_bytes"] == 353_000_000
    assert doc["tried"][3]["sizes"] is None and doc["advised"] is None


def test_kit_check_fails_on_an_app_with_only_a_dockerfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "myapp"
    app.mkdir()
    (app / "Dockerfile").write_text("FROM python:3.11\n")
    seen: list[tuple[Path, object]] = []

    def fake(directory: Path, dockerfile: object = None, **_: object) -> Advice:
        seen.append((Path(directory), dockerfile))
        return _advice(Path(directory))

    monkeypatch.setattr(advise_module, "advise", fake)
    code = cli.main(["check", str(app), "--advise-max-mb", "100", "--junit-xml",
                     str(tmp_path / "out.xml")])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    assert seen == [(app.resolve(), None)]
    assert "light-base would save 670.0 MB" in err and "myapp:" in err
    assert "FAIL" in out
    assert 'failures="1"' in (tmp_path / "out.xml").read_text()
    assert cli.main(["check", str(app), "--advise-max-mb", "700", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["passed"] is True and doc["app"] == "myapp"
    assert {b["budget"] for b in doc["budgets"]} == {"advise_max_mb"}
