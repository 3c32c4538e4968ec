"""`kit check` on a tiny app: exit codes 0/1/2, JUnit XML a CI system reads, JSON on stdout, the
store's cache reused, and the size-regression gate against a git ref. `kit measure --json` too.

Expected sizes come from the engine's own inspect (through the SDK, not the kit's models) and
from how the app is built: `big` carries 3 MiB of ballast, so a 3 MB budget must fail on it."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kit import cli
from kit.engine import Engine

MB = 10**6
COMMON = ["--profile", "local", "--trials", "1", "--warmups", "0", "--quiet"]


def gate(tmp_path: Path, check, budgets: str) -> Path:
    """A copy of the eng-budget app with these budgets."""
    root = tmp_path / "eng-budget"
    if not root.exists():
        shutil.copytree(check.app_dir("eng-budget"), root)
    toml = (check.app_dir("eng-budget") / "experiment.toml").read_text()
    (root / "experiment.toml").write_text(toml + "\n" + budgets)
    return root


def cases(xml: Path) -> dict[tuple[str, str], str]:
    """(classname, budget key) → passed | failure | error | skipped, from the JUnit file."""
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None
    found = {}
    for case in suite.findall("testcase"):
        outcome = next(
            (t for t in ("failure", "error", "skipped") if case.find(t) is not None), "passed"
        )
        found[(str(case.get("classname")), str(case.get("name")).split(":")[0])] = outcome
    assert int(suite.get("tests", "-1")) == len(found)
    return found


def test_the_gate_passes_fails_and_says_why(
    engine: Engine, check, no_leaks: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, xml = tmp_path / "store", tmp_path / "junit.xml"
    app = gate(tmp_path, check, "[budgets]\nmax_size_mb = 10\nmax_layers = 5\nhas_shell = true\n")
    args = [str(app), *COMMON, "--store", str(store), "--junit-xml", str(xml)]
    assert cli.main(["check", *args]) == 0, capsys.readouterr().err
    assert "→ PASS" in capsys.readouterr().out
    assert set(cases(xml).values()) == {"passed"} and len(cases(xml)) == 6

    # The engine's own sizes: big is over 3 MB (its ballast alone is 3 MiB), small is not.
    sizes = {
        v: engine.api.inspect_image(check.tag("eng-budget", v))["Size"] for v in ("small", "big")
    }
    assert sizes["big"] > 3 * MB > sizes["small"]

    gate(tmp_path, check, "[budgets]\nmax_size_mb = 3\n[variants.small.budgets]\nmax_layers = 0\n")
    assert cli.main(["check", *args, "--json"]) == 1
    printed = capsys.readouterr()
    document = json.loads(printed.out)  # stdout holds the JSON document and nothing else
    assert document["passed"] is False and document["exit_code"] == 1
    assert {r["variant"]: r["size_bytes"] for r in document["images"]} == sizes
    # Nothing was rebuilt: the store's measurements of the unchanged variants were reused (the
    # budgets live in experiment.toml, which the app's .dockerignore keeps out of the context).
    assert all(r["cached_from"] for r in document["images"])
    verdicts = {(b["variant"], b["budget"]): b["verdict"] for b in document["budgets"]}
    assert verdicts == {
        ("big", "max_size_mb"): "exceeded",
        ("small", "max_size_mb"): "within",
        ("small", "max_layers"): "exceeded",
    }
    assert cases(xml) == {
        ("eng-budget.big", "max_size_mb"): "failure",
        ("eng-budget.small", "max_size_mb"): "passed",
        ("eng-budget.small", "max_layers"): "failure",
    }

    # busybox has no package database: a limit on packages cannot be judged, so it fails...
    gate(tmp_path, check, "[budgets]\nmax_packages = 100\n")
    assert cli.main(["check", *args]) == 1
    out = capsys.readouterr().out
    assert "not measured: the image has no package database" in out and "→ FAIL" in out
    assert set(cases(xml).values()) == {"error"}
    # ...unless unmeasured budgets are allowed, and then they are skipped, not passed.
    assert cli.main(["check", *args, "--allow-unmeasured"]) == 0
    assert set(cases(xml).values()) == {"skipped"}
    capsys.readouterr()

    gate(tmp_path, check, "[budgets]\nmax_packages = -1\n")
    assert cli.main(["check", *args]) == 2
    assert "max_packages: must be a number ≥ 0" in capsys.readouterr().err


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=kit", "-c", "user.email=kit@example.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_growth_since_a_git_ref(
    check, no_leaks: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed for the --against gate and is missing")
    app = gate(tmp_path, check, "[budgets]\nmax_layers = 10\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "baseline")
    store = tmp_path / "store"
    args = [str(app), *COMMON, "--store", str(store)]
    assert cli.main(["check", *args]) == 0  # the baseline run, at the first commit
    capsys.readouterr()
    first = git(tmp_path, "rev-parse", "HEAD")

    dockerfile = app / "Dockerfile.big"
    dockerfile.write_text(
        dockerfile.read_text().replace("count=3", "count=4")  # one more MiB: +1 MiB of ~7 MB
    )
    git(tmp_path, "commit", "-qam", "more ballast")
    assert cli.main(["check", *args, "--against", first, "--max-growth", "5", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    growth = {b["variant"]: b for b in document["budgets"] if b["budget"] == "max_growth_pct"}
    assert growth["small"]["verdict"] == "within" and growth["small"]["value"] == 0
    assert growth["big"]["verdict"] == "exceeded"
    before = next(r for r in document["images"] if r["variant"] == "big")["size_bytes"]
    assert growth["big"]["value"] == pytest.approx(2**20 / (before - 2**20) * 100, rel=0.02)

    # A ref the store has no run at: the growth cannot be judged, which fails the gate.
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "nothing measured here")
    unmeasured = git(tmp_path, "rev-parse", "HEAD")
    assert cli.main(["check", *args, "--against", unmeasured]) == 1
    assert "has no run of eng-budget" in capsys.readouterr().out


def test_measure_json_is_one_document_on_stdout(
    check, no_leaks: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    code = cli.main(
        ["measure", str(check.app_dir("eng-good")), *COMMON[:-1], "--json", "--store", store]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    document = json.loads(printed.out)
    assert document["app"] == "eng-good" and document["run"]["profile"] == "local"
    assert sorted(r["variant"] for r in document["images"]) == ["layered", "tiny"]
    assert all(r["status"] == "ok" and r["size_bytes"] > 0 for r in document["images"])
    assert {c["claim"] for c in document["claims"]} >= {"a smaller image starts faster"}
    assert "eng-good:" in printed.err  # the progress bar went to stderr, not into the JSON
