"""``kit check``: an app measured (its unchanged variants reused from the store) and held to
the budgets its experiment.toml declares — exit 1 when one is exceeded or cannot be measured,
0 when all hold; a table, JSON and JUnit XML say which."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kit.errors import UsageError

if TYPE_CHECKING:
    from kit.advise.verdicts import Advice
    from kit.model.budgets import BudgetCheck
    from kit.model.results import Results


def _baseline(store: Path, results: Results, ref: str, commit: str) -> Results | None:
    """The store's latest run of the app at ``commit`` (a clean checkout), this run excepted."""
    from kit.model.store import Store

    at = [
        r
        for r in Store(store).runs()
        if r.app == results.app
        and r.run.git_commit == commit
        and r.run.run_id != results.run.run_id
    ]
    return Store(store).results(at[-1].run.run_id, results.app) if at else None


def _growth(args: argparse.Namespace, results: Results, commit: str) -> list[BudgetCheck]:
    from kit.model.budgets import BudgetCheck
    from kit.views.budgets import GROWTH, growth

    baseline = _baseline(args.store, results, args.against, commit)
    if baseline is not None:
        return growth(results, baseline, args.against, args.max_growth)
    return [
        BudgetCheck(
            r.variant,
            GROWTH,
            f"size grew ≤ {args.max_growth:g} % since {args.against}",
            f"not measured: the store {args.store} has no run of {results.app} at "
            f"{args.against} ({commit[:12]})",
            "not measured",
        )
        for r in results.image_rows
    ]


def failing(checks: Sequence[BudgetCheck], allow_unmeasured: bool) -> list[BudgetCheck]:
    bad = ("exceeded",) if allow_unmeasured else ("exceeded", "not measured")
    return [c for c in checks if c.verdict in bad]


def _print(app: str, checks: Sequence[BudgetCheck], failed: Sequence[BudgetCheck]) -> None:
    from kit.cli.output import text_table

    rows = [
        {
            "variant": c.variant,
            "budget": c.budget,
            "limit": c.limit,
            "measured": c.measured,
            "verdict": c.verdict.upper() if c in failed else c.verdict,
        }
        for c in checks
    ]
    print(text_table(rows))
    counts = {
        v: sum(c.verdict == v for c in checks) for v in ("within", "exceeded", "not measured")
    }
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    print(f"{app}: {len(checks)} budget checks: {summary} → {'FAIL' if failed else 'PASS'}")


def _advised(args: argparse.Namespace, directory: Path) -> Advice:
    from kit.advise.advise import advise

    dockerfile = args.advise_file
    if dockerfile is not None and not dockerfile.is_absolute():
        dockerfile = directory / dockerfile
    return advise(directory, dockerfile, progress=not args.quiet and not args.json)


def _app_only_dockerfile(app_dir: Path) -> bool:
    """An app directory with a Dockerfile and no ``Dockerfile.<variant>``: nothing to measure
    but the advice."""
    directory = Path(app_dir)
    return (directory / "Dockerfile").is_file() and not any(
        p.name.startswith("Dockerfile.") and not p.name.endswith(".dockerignore")
        for p in directory.iterdir()
    )


def check(args: argparse.Namespace) -> int:
    from kit.advise.gate import advice_checks
    from kit.cli.experiment import measured
    from kit.cli.junit import junit_xml, write_junit
    from kit.cli.output import run_document
    from kit.inputs.app import load_app
    from kit.pipeline.envelope import resolve_ref
    from kit.views.budgets import checks as judge

    gate = getattr(args, "advise_max_mb", None)
    if gate is not None and gate < 0:
        raise UsageError(f"--advise-max-mb takes a number of MB ≥ 0 (got {gate:g})")
    if gate is not None and _app_only_dockerfile(args.app_dir):
        return _advise_only(args, gate)
    app = load_app(args.app_dir)
    if not app.budgets and not args.against and gate is None:
        raise UsageError(
            "no budgets declared, so there is nothing to check",
            app=app.name,
            file=app.directory / "experiment.toml",
            hint='add e.g. [budgets] max_size_mb = 500 and claims = "hold" (see the README)',
        )
    # A bad ref is a usage error, found before anything is measured.
    commit = resolve_ref(app.directory, args.against) if args.against else None
    results = measured(args, app.directory)
    extra = _growth(args, results, commit) if commit else []
    if gate is not None:
        extra += advice_checks(_advised(args, app.directory), gate)
    checks = judge(results, extra=extra)
    failed = failing(checks, args.allow_unmeasured)
    if args.junit_xml:
        tree = junit_xml(
            app.name,
            checks,
            run_id=results.run.run_id,
            timestamp=results.run.timestamp_utc,
            allow_unmeasured=args.allow_unmeasured,
            properties={"profile": results.run.profile, "store": str(args.store)},
        )
        write_junit(args.junit_xml, tree)
    head = run_document(results) if args.json else {}
    return _report(args, app.name, checks, failed, head, junit_path=args.junit_xml)


def _advise_only(args: argparse.Namespace, gate: float) -> int:
    """``kit check --advise-max-mb`` on a directory with one Dockerfile: the advice is the
    whole gate (there are no variants to measure or budget)."""
    from datetime import UTC, datetime

    from kit.advise.gate import advice_checks
    from kit.cli.junit import junit_xml, write_junit

    directory = Path(args.app_dir).resolve()
    advice = _advised(args, directory)
    checks = advice_checks(advice, gate)
    failed = failing(checks, args.allow_unmeasured)
    if args.junit_xml:
        write_junit(
            args.junit_xml,
            junit_xml(
                directory.name,
                checks,
                run_id="advise",
                timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
                allow_unmeasured=args.allow_unmeasured,
            ),
        )
    return _report(args, directory.name, checks, failed, {"app": directory.name}, junit_path=None)


def _report(
    args: argparse.Namespace,
    name: str,
    checks: Sequence[BudgetCheck],
    failed: Sequence[BudgetCheck],
    head: dict[str, object],
    *,
    junit_path: Path | None,
) -> int:
    """The verdict as JSON (``head`` first) or as a table with one stderr line per failed
    advise check; the exit code, 1 when a check failed."""
    import dataclasses

    from kit.advise.gate import messages
    from kit.cli.output import emit_json

    code = 1 if failed else 0
    if args.json:
        emit_json(
            {
                **head,
                "budgets": [dataclasses.asdict(c) for c in checks],
                "passed": not failed,
                "exit_code": code,
            }
        )
        return code
    _print(name, checks, failed)
    for line in messages(name, list(failed)):
        print(line, file=sys.stderr)
    if junit_path:
        print(f"JUnit XML: {junit_path}", file=sys.stderr)
    return code
