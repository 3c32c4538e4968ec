"""The ``kit`` command without an engine: help and defaults on every option, --version, exit
codes of input errors, and the store read back as JSON, CSV and Markdown (kit show, kit diff)."""

from __future__ import annotations

import argparse
import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from results_factory import image_row, results
from test_unit_contents import run_with_contents

from kit import cli
from kit.cli.main import DESCRIPTION, EPILOG, parser
from kit.model.store import Store
from kit.util.progress import bar_options


def subcommands() -> dict[str, argparse.ArgumentParser]:
    found = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(found.choices)


def test_the_top_help_names_every_command_and_the_exit_codes() -> None:
    names = subcommands()
    assert {"measure", "check", "diff", "show", "batch", "report"} <= set(names)
    for name in names:
        assert f"kit {name}" in DESCRIPTION, name
    for code in ("0 ", "1 ", "2 ", "130"):
        assert f"  {code}" in EPILOG
    text = parser().format_help()
    assert "exit codes:" in text and "kit check APP" in text


def test_every_option_has_help_and_shows_its_default() -> None:
    for name, sub in subcommands().items():
        text = sub.format_help()
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"kit {name} {action.dest} has no help"
            if action.option_strings:
                assert "default" in sub._get_formatter()._get_help_string(action) or "default" in (
                    action.help or ""
                ), f"kit {name} {action.option_strings} shows no default"
        has_options = any(a.option_strings and a.dest != "help" for a in sub._actions)
        assert "(default: " in text or not has_options, name


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("kit ")


def app(tmp_path: Path, toml: str) -> Path:
    root = tmp_path / "gate"
    root.mkdir(parents=True)
    (root / "Dockerfile.only").write_text("FROM scratch\n")
    (root / "experiment.toml").write_text(toml)
    return root


def test_check_input_errors_exit_2_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    none = app(tmp_path / "a", 'title = "no budgets"\n')
    assert cli.main(["check", str(none), "--store", str(tmp_path / "s")]) == 2
    assert "no budgets declared" in capsys.readouterr().err
    bad = app(tmp_path / "b", "[budgets]\nmax_size_mb = -1\n")
    assert cli.main(["check", str(bad), "--store", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "ExperimentConfigError" in err and "max_size_mb" in err and "experiment.toml" in err
    good = app(tmp_path / "c", "[budgets]\nmax_size_mb = 1\n")
    # tmp_path is no git checkout: the ref cannot name a commit.
    code = cli.main(["check", str(good), "--against", "main", "--store", str(tmp_path / "s")])
    assert code == 2
    assert "is not a commit" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()  # nothing was measured, nothing stored


def store_of(tmp_path: Path) -> Path:
    """Two runs: one of app tiny without file lists, a later one with them."""
    store = Store(tmp_path / "store")
    store.append(results([image_row("a", size_bytes=10), image_row("b", size_bytes=20)]))
    later = run_with_contents()
    run = replace(
        later.run, run_id="20261128T000000Z-later", timestamp_utc="2026-11-28T00:00:00+00:00"
    )
    store.append(replace(later, run=run))
    return store.root


def test_show_prints_json_csv_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = store_of(tmp_path)
    assert cli.main(["show", "images", "--store", str(root), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["run_id"][-5:], r["variant"]) for r in rows] == [
        ("bc123", "a"),
        ("bc123", "b"),
        ("later", "full"),
        ("later", "slim"),
        ("later", "closure"),
    ]
    assert rows[0]["size_bytes"] == 10 and rows[0]["x_floor"] is None
    args = ["show", "images", "--store", str(root), "--latest", "--columns", "variant,size_bytes"]
    assert cli.main([*args, "--format", "csv"]) == 0
    parsed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert parsed == [
        {"variant": "full", "size_bytes": "50000000"},
        {"variant": "slim", "size_bytes": "5000000"},
        {"variant": "closure", "size_bytes": "3000000"},
    ]
    assert cli.main([*args, "--app", "some/where/tiny"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["| variant | size_bytes |", "|---|---|", "| full | 50000000 |"]
    assert cli.main(["show", "runs", "--store", str(root), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert cli.main(["show", "nope", "--store", str(root)]) == 2
    assert "tables are images, trials" in capsys.readouterr().err
    assert cli.main([*args, "--columns", "variant,nope"]) == 2


def test_diff_reads_the_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = store_of(tmp_path)
    assert cli.main(["diff", "tiny", "full", "slim", "--store", str(root), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["run_id"].endswith("later")
    assert found["summary"]["paths_left_out"] == 4
    assert found["summary"]["bytes_left_out"] == 41_005_000
    assert found["dirs"][0]["path"] == "/usr/lib/gcc/"
    assert [p["package"] for p in found["packages"]] == ["gcc-12", "git"]
    assert [d["path"] for d in found["added_dirs"]] == ["/usr/share/", "/app/extra.js"]
    assert cli.main(["diff", "tiny", "full", "slim", "--store", str(root)]) == 0
    text = capsys.readouterr().out
    assert "slim lacks 4 of full's 6 paths (41 MB)" in text and "| gcc-12 |" in text
    assert cli.main(["diff", "tiny", "a", "b", "--store", str(root)]) == 2
    assert "kit measure" in capsys.readouterr().err


def test_progress_is_off_where_the_kit_runs_notebooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIT_PROGRESS", raising=False)
    assert bar_options(True)["disable"] is False
    assert bar_options(False)["disable"] is True
    monkeypatch.setenv("KIT_PROGRESS", "off")
    assert bar_options(True)["disable"] is True


def test_report_json_names_each_page_and_its_code_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "runs" / "empty").mkdir(parents=True)
    args = ["report", str(tmp_path / "runs" / "empty"), "--store", str(tmp_path / "no-store")]
    assert cli.main([*args, "--out", str(tmp_path / "reports"), "--json", "--quiet"]) == 0
    found = json.loads(capsys.readouterr().out)
    (page,) = found["pages"]
    assert page["status"] == "ok" and page["page"].endswith("00_overview.html")
    assert page["code_page"].endswith("00_overview-code.html")
    assert Path(page["code_page"]).is_file() and Path(found["index"]).is_file()
    assert found["exit_code"] == 0
