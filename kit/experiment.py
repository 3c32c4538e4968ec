"""The experiment pipeline: discover variants → build → measure → typed results.

A failing variant becomes a failed row with its error and log tail; the other variants are still
measured. Whatever the kit creates is removed on every exit path, Ctrl-C included.
"""

from __future__ import annotations

import dataclasses
import logging
import platform
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from kit import profiles
from kit.build import build_cold_and_warm
from kit.discover import App, Variant, load_app
from kit.engine import RUN_LABEL, Engine
from kit.errors import KitError
from kit.lint import SIZE_RULE_PATHS, LintReport, lint_app_or_none
from kit.measure.layers import analyze_image
from kit.measure.size import measure_size
from kit.measure.start import StartSample, run_trials
from kit.progress import bar_options, line_reporter, phase, tqdm
from kit.results import (
    ImageResult,
    LayerRow,
    Results,
    RuleBytes,
    RunInfo,
    TrialResult,
    WastedRow,
    anatomy_rows,
)
from kit.stats import summarize

log = logging.getLogger("kit")


def kit_version() -> str:
    try:
        return version("image-diet-kit")
    except Exception:  # not installed (a source checkout on sys.path)
        return "0+unknown"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


@contextmanager
def _containers(
    engine: Engine, run_id: str
) -> Iterator[tuple[Callable[[str], None], Callable[[str], None]]]:
    """Track the containers a run creates; remove any left over, however the run ends."""
    live: set[str] = set()
    try:
        yield live.add, live.discard
    finally:
        for container in list(live) + engine.kit_containers(run_id):
            engine.remove_container(container)


def _row(app: App, variant: Variant, status: str, **fields: Any) -> ImageResult:
    """An image row: the variant's identity plus whatever was measured (or the error)."""
    return ImageResult(
        app=app.name,
        variant=variant.name,
        description=variant.description,
        status=status,
        dockerfile=str(variant.dockerfile.relative_to(app.directory)),
        dockerfile_sha256=variant.sha256,
        stages=variant.stages,
        **fields,
    )


def _failed(app: App, variant: Variant, exc: KitError, **measured: Any) -> ImageResult:
    return _row(
        app,
        variant,
        "failed",
        error=str(exc.message),
        error_type=exc.kind,
        log_tail="\n".join(exc.log_tail) or None,
        **measured,
    )


def _trial_rows(app: App, variant: Variant, samples: list[StartSample]) -> list[TrialResult]:
    return [
        TrialResult(
            app=app.name,
            variant=variant.name,
            status="failed" if s.error else "ok",
            **dataclasses.asdict(s),
        )
        for s in samples
    ]


@dataclass(frozen=True)
class VariantOutcome:
    """Everything measured for one variant; only ``row`` is certain to be there."""

    row: ImageResult
    trials: tuple[TrialResult, ...] = ()
    layers: tuple[LayerRow, ...] = ()
    wasted: tuple[WastedRow, ...] = ()
    rule_bytes: tuple[RuleBytes, ...] = ()


#: Every path prefix where a size-related lint rule's cost lives, measured in every image.
RULE_PREFIXES = tuple(sorted({p for prefixes in SIZE_RULE_PATHS.values() for p in prefixes}))


def measure_variant(
    engine: Engine,
    app: App,
    variant: Variant,
    profile: str,
    *,
    trials: int,
    warmups: int,
    run_id: str,
    anatomy: bool = True,
    bar: tqdm | None = None,
) -> VariantOutcome:
    show = line_reporter(bar, f"{variant.name}: ") if bar is not None else None

    try:
        cold, warm = build_cold_and_warm(engine, app, variant, profile, on_line=show)
    except KitError as exc:
        log.warning("%s", exc)
        return VariantOutcome(_failed(app, variant, exc))
    text = variant.dockerfile.read_text(errors="replace")
    base = profiles.release_base(text, app.build_args(variant, profile))
    size = measure_size(engine, warm.image_id, base)
    built: dict[str, Any] = {
        "image_id": warm.image_id,
        "tag": warm.tag,
        "size_bytes": size.size_bytes,
        "layers": size.layers,
        "history_steps": size.history_steps,
        "empty_steps": size.empty_steps,
        "base_image": size.base_image,
        "base_bytes": size.base_bytes,
        "build_cold_s": cold.seconds,
        "build_warm_s": warm.seconds,
    }
    layer_rows: list[LayerRow] = []
    wasted: list[WastedRow] = []
    rule_bytes: list[RuleBytes] = []
    if anatomy:
        phase(bar, f"{variant.name}: layer anatomy")
        try:
            found = analyze_image(engine, warm.image_id, prefixes=RULE_PREFIXES)
        except KitError as exc:
            exc.app, exc.variant, exc.file = app.name, variant.name, str(variant.dockerfile)
            log.warning("%s", exc)
            return VariantOutcome(_failed(app, variant, exc, **built))
        built |= {
            "compressed_bytes": found.compressed_bytes,
            "efficiency": found.efficiency,
            "wasted_bytes": found.wasted_bytes,
            "dive_wasted_bytes": found.dive_wasted_bytes,
        }
        layer_rows, wasted, rule_bytes = anatomy_rows(app.name, variant.name, found)
    phase(bar, f"{variant.name}: start trials")
    labels = {RUN_LABEL: run_id, "kit.app": app.name, "kit.variant": variant.name}
    with _containers(engine, run_id) as (track, untrack):
        samples, error = run_trials(
            engine,
            warm.tag,
            app.probe,
            labels,
            trials=trials,
            warmups=warmups,
            track=track,
            untrack=untrack,
        )
    trial_rows = tuple(_trial_rows(app, variant, samples))

    def outcome(row: ImageResult) -> VariantOutcome:
        return VariantOutcome(row, trial_rows, tuple(layer_rows), tuple(wasted), tuple(rule_bytes))

    if error is not None:
        error.app, error.variant, error.file = app.name, variant.name, str(variant.dockerfile)
        log.warning("%s", error)
        return outcome(_failed(app, variant, error, **built))
    stats = summarize([s.total_s for s in samples if not s.warmup and s.total_s is not None])
    row = _row(
        app,
        variant,
        "ok",
        error=None,
        error_type=None,
        start_n=stats.n,
        start_median_s=stats.median,
        start_iqr_s=stats.iqr,
        start_min_s=stats.low,
        start_max_s=stats.high,
        **built,
    )
    return outcome(row)


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
            _failed(app, Variant(r.name, r.dockerfile, "", r.sha256, 0), r.error)
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
        return Results(
            run,
            app.name,
            app.title,
            tuple(rows) + tuple(o.row for o in outcomes),
            tuple(t for o in outcomes for t in o.trials),
            app.claims,
            lint_rows=lint.findings if lint else (),
            lint_statuses=lint.statuses if lint else (),
            layer_rows=tuple(x for o in outcomes for x in o.layers),
            wasted_rows=tuple(x for o in outcomes for x in o.wasted),
            rule_bytes=tuple(x for o in outcomes for x in o.rule_bytes),
        )
    finally:
        if own:
            engine.close()
