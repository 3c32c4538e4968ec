"""The experiment pipeline: discover variants → build → measure → typed results.

A failing variant becomes a failed row with its error and log tail; the other variants are still
measured. Whatever the kit creates is removed on every exit path, Ctrl-C included.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import secrets
import subprocess
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from kit import profiles
from kit.cache import reused, reused_floor, step_key, variant_key
from kit.discover import App, Variant, load_app
from kit.engine import Engine
from kit.errors import KitError
from kit.lint import LintReport, lint_app_or_none
from kit.locks import engine_lock
from kit.measure.floor import Floor, measure_floor, x_floor
from kit.measure.variant import VariantOutcome, failed_row, measure_variant
from kit.payoffs import Payoffs, measure_payoffs, with_payoffs
from kit.progress import bar_options, tqdm
from kit.results import FloorRow, ImageResult, Results, RunInfo
from kit.store import Store

log = logging.getLogger("kit")


def kit_version() -> str:
    try:
        return version("image-diet-kit")
    except Exception:  # not installed (a source checkout on sys.path)
        return "0+unknown"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def git_commit(directory: Path) -> str | None:
    """The checkout's commit, "+dirty" when files under ``directory`` differ from it."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    return commit + ("+dirty" if git("status", "--porcelain", "--", ".") else "")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


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


def _open_store(store: str | Path | Store | None) -> Store | None:
    if store is None or isinstance(store, Store):
        return store
    return Store(store)


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
    distribution: int = 0,
    rebuild: int = 0,
    capacity: bool = False,
    registry: str | None = None,
    store: str | Path | Store | None = None,
    force: bool | None = None,
) -> Results:
    """Build, measure and start every variant of one app; one row per variant, failed or not.

    With a ``store``, the run is appended to it and a variant whose inputs are unchanged since a
    stored run reuses that run's measurements (``force=True``, or KIT_FORCE=1, measures anew).
    The payoffs are measured after the variants when asked for: ``distribution`` push/pull
    trials through a local registry (or the one at ``registry``, a URL), ``rebuild`` trials of
    a rebuild after a source edit, and ``capacity`` (images per host).
    """
    if trials < 1 or warmups < 0:
        raise KitError(f"trials must be ≥ 1 and warmups ≥ 0 (got {trials}, {warmups})")
    force = _env_flag("KIT_FORCE") if force is None else force
    app = load_app(app_dir)
    unknown = set(variants) - {v.name for v in app.variants}
    if unknown:
        raise KitError(f"no such variant(s): {', '.join(sorted(unknown))}", app=app.name)
    stored = _open_store(store)
    own = engine is None
    engine = engine or Engine.connect()
    try:
        resolved = profiles.resolve(profile, engine)
        info = engine.info()
        keyed: Mapping[str, Any] = {"trials": trials, "warmups": warmups, "anatomy": anatomy}
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
            timestamp_utc=_now(),
            git_commit=git_commit(app.directory),
            batch_id=os.environ.get("KIT_BATCH_ID") or None,
            parameters=json.dumps(
                {
                    **keyed,
                    "floor": floor,
                    "variants": list(variants),
                    "force": force,
                    "distribution": distribution,
                    "rebuild": rebuild,
                    "capacity": capacity,
                    "registry": registry,
                }
            ),
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
        lock_key = info.daemon_id or info.host
        # Where earlier measurements may be reused from (none when forced).
        reuse = None if force else stored
        with tqdm(
            chosen, desc=app.name, unit="variant", disable=not progress, **bar_options()
        ) as bar:
            for variant in bar:
                key = variant_key(
                    engine, app, variant, resolved, kit_version=run.kit_version, parameters=keyed
                )
                found = reuse.find(app.name, variant_key=(variant.name, key)) if reuse else None
                if found is not None:
                    log.info("%s: unchanged since run %s, reused", variant.name, found.run.run_id)
                    outcome = reused(found, variant.name)
                else:
                    with engine_lock(lock_key):
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
                row = replace(outcome.row, cache_key=key)
                if lint is not None and _linted(lint, variant.name):
                    row = replace(row, lint_findings=lint.count(variant.name))
                outcomes.append(replace(outcome, row=row))
            measured = [o.row for o in outcomes]
            keys = {r.variant: str(r.cache_key) for r in measured if r.status == "ok"}
            steps: dict[str, str] = {}
            floor_rows: list[FloorRow] = []
            if floor:
                steps["floor"] = step_key(keys, probe=repr(app.probe))
                hit = reuse.find_step(app.name, "floor", steps["floor"]) if reuse else None
                if hit is not None:
                    measured, floor_rows = reused_floor(hit, measured)
                else:
                    with engine_lock(lock_key):
                        measured, floor_rows = with_floor(engine, app, measured)
                if not any(r.floor_bytes for r in measured):
                    del steps["floor"]  # an unknown floor is retried next time, not reused
            payoffs = Payoffs()
            if distribution or rebuild or capacity:
                steps["payoffs"] = step_key(
                    keys,
                    registry=registry,
                    distribution=distribution,
                    rebuild=rebuild,
                    capacity=capacity,
                )
                hit = reuse.find_step(app.name, "payoffs", steps["payoffs"]) if reuse else None
                if hit is not None:
                    payoffs = Payoffs(hit.distribution_rows, hit.rebuild_rows, hit.capacity_rows)
                else:
                    with engine_lock(lock_key):
                        payoffs = measure_payoffs(
                            engine,
                            app,
                            resolved,
                            measured,
                            chosen,
                            distribution=distribution,
                            rebuild=rebuild,
                            capacity=capacity,
                            registry_url=registry,
                            bar=bar,
                        )
                statuses = {x.status for x in payoffs.distribution} | {
                    x.status for x in payoffs.rebuild
                }
                if "failed" in statuses:
                    del steps["payoffs"]  # a registry that was down is retried next time
            measured = with_payoffs(measured, payoffs)
        results = Results(
            replace(run, finished_utc=_now()),
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
            distribution_rows=payoffs.distribution,
            rebuild_rows=payoffs.rebuild,
            capacity_rows=payoffs.capacity,
        )
        if stored is not None:
            stored.append(results, steps=steps)
        return results
    finally:
        if own:
            engine.close()
