"""The experiment pipeline: discover variants → build → measure → typed results.

A failing variant becomes a failed row with its error and log tail; the other variants are still
measured. Whatever the kit creates is removed on every exit path, Ctrl-C included.
"""

from __future__ import annotations

import logging
import platform
import secrets
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from kit import profiles
from kit.discover import App, Variant, load_app
from kit.engine import Engine
from kit.errors import KitError
from kit.lint import LintReport, lint_app_or_none
from kit.measure.floor import Floor, measure_floor, x_floor
from kit.measure.variant import VariantOutcome, failed_row, measure_variant
from kit.progress import bar_options, tqdm
from kit.results import FloorRow, ImageResult, Results, RunInfo

log = logging.getLogger("kit")


def kit_version() -> str:
    try:
        return version("image-diet-kit")
    except Exception:  # not installed (a source checkout on sys.path)
        return "0+unknown"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def with_floor(
    engine: Engine, app: App, rows: list[ImageResult]
) -> tuple[list[ImageResult], list[FloorRow]]:
    """Trace the smallest working variant's service; measure every variant against its files."""
    working = sorted(
        (r for r in rows if r.status == "ok" and r.size_bytes and r.tag),
        key=lambda r: r.size_bytes or 0,
    )
    if not working:
        return rows, []
    traced = working[0]
    try:
        found = measure_floor(engine, str(traced.tag), app.probe)
    except KitError as exc:
        # The floor is a measurement of its own: without it the rest still stands.
        found = Floor(None, (), "fatrace", f"the traced run of {traced.variant} failed: {exc}")
    note = found.reason or f"traced on {traced.variant} ({found.method})"
    measured = [
        replace(
            r,
            floor_bytes=found.floor_bytes,
            x_floor=x_floor(r.size_bytes, found) if r.size_bytes else None,
            floor_note=note,
        )
        if r.status == "ok"
        else r
        for r in rows
    ]
    files = [FloorRow(app.name, traced.variant, f.path, f.bytes) for f in found.files]
    return measured, files


def _linted(lint: LintReport, variant: str) -> bool:
    return any(s.variant == variant and s.status == "ok" for s in lint.statuses)


def run_experiment(
    app_dir: str | Path,
    profile: str = "auto",
    trials: int = 5,
    *,
    warmups: int = 1,
    variants: tuple[str, ...] = (),
    engine: Engine | None = None,
    progress: bool = True,
    anatomy: bool = True,
    floor: bool = True,
) -> Results:
    """Build, measure and start every variant of one app; one row per variant, failed or not."""
    if trials < 1 or warmups < 0:
        raise KitError(f"trials must be ≥ 1 and warmups ≥ 0 (got {trials}, {warmups})")
    app = load_app(app_dir)
    unknown = set(variants) - {v.name for v in app.variants}
    if unknown:
        raise KitError(f"no such variant(s): {', '.join(sorted(unknown))}", app=app.name)
    own = engine is None
    engine = engine or Engine.connect()
    try:
        resolved = profiles.resolve(profile, engine)
        info = engine.info()
        run = RunInfo(
            run_id=new_run_id(),
            kit_version=kit_version(),
            engine_version=info.version,
            engine_api=info.api_version,
            storage_driver=info.storage_driver,
            containerd_store=info.containerd_store,
            engine_host=info.host,
            host=platform.node(),
            profile=resolved,
            requested_profile=profile,
            timestamp_utc=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        rows = [
            failed_row(app, Variant(r.name, r.dockerfile, "", r.sha256, 0), r.error)
            for r in app.rejected
        ]
        outcomes: list[VariantOutcome] = []
        chosen = [
            v.for_profile(resolved) for v in app.variants if not variants or v.name in variants
        ]
        # Lint the Dockerfiles this profile builds; without hadolint the measuring goes on.
        lint = lint_app_or_none(replace(app, variants=tuple(chosen)))
        with tqdm(
            chosen, desc=app.name, unit="variant", disable=not progress, **bar_options()
        ) as bar:
            for variant in bar:
                outcome = measure_variant(
                    engine,
                    app,
                    variant,
                    resolved,
                    trials=trials,
                    warmups=warmups,
                    run_id=run.run_id,
                    anatomy=anatomy,
                    bar=bar,
                )
                row = outcome.row
                if lint is not None and _linted(lint, variant.name):
                    row = replace(row, lint_findings=lint.count(variant.name))
                outcomes.append(replace(outcome, row=row))
        measured, floor_rows = (
            with_floor(engine, app, [o.row for o in outcomes])
            if floor
            else ([o.row for o in outcomes], [])
        )
        return Results(
            run,
            app.name,
            app.title,
            tuple(rows) + tuple(measured),
            tuple(t for o in outcomes for t in o.trials),
            app.claims,
            lint_rows=lint.findings if lint else (),
            lint_statuses=lint.statuses if lint else (),
            layer_rows=tuple(x for o in outcomes for x in o.layers),
            wasted_rows=tuple(x for o in outcomes for x in o.wasted),
            rule_bytes=tuple(x for o in outcomes for x in o.rule_bytes),
            stage_rows=tuple(x for o in outcomes for x in o.stages),
            floor_rows=tuple(floor_rows),
        )
    finally:
        if own:
            engine.close()
