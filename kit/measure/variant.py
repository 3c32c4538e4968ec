"""Measure one variant: build it cold and warm, size it, dissect its layers and stages, and time
its starts. A failure at any step becomes a failed row holding what was measured before it;
whatever the step created is removed on every exit path, Ctrl-C included."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kit import profiles
from kit.build import build_cold_and_warm
from kit.discover import App, Variant
from kit.engine import RUN_LABEL, Engine
from kit.errors import KitError
from kit.lint import SIZE_RULE_PATHS
from kit.measure.layers import analyze_image
from kit.measure.size import measure_size
from kit.measure.stages import StageSize, stage_sizes
from kit.measure.start import StartSample, run_trials
from kit.measure.surface import attack_surface
from kit.progress import line_reporter, phase, tqdm
from kit.results import (
    ImageResult,
    LayerRow,
    RuleBytes,
    TrialResult,
    WastedRow,
    anatomy_rows,
)
from kit.stats import summarize

log = logging.getLogger("kit")
Tracker = Callable[[str], None]


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


def failed_row(app: App, variant: Variant, exc: KitError, **measured: Any) -> ImageResult:
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
    stages: tuple[StageSize, ...] = ()


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

    stages: list[StageSize] = []

    def measure_stages() -> None:
        if anatomy and variant.stages > 1:
            phase(bar, f"{variant.name}: stage sizes")
            stages.extend(stage_sizes(engine, app, variant, profile))

    try:
        cold, warm = build_cold_and_warm(
            engine, app, variant, profile, on_line=show, while_cached=measure_stages
        )
    except KitError as exc:
        log.warning("%s", exc, extra=exc.context())
        return VariantOutcome(failed_row(app, variant, exc))
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

    def failed(exc: KitError, **measured: Any) -> ImageResult:
        exc.app, exc.variant, exc.file = app.name, variant.name, str(variant.dockerfile)
        log.warning("%s", exc, extra=exc.context())
        return failed_row(app, variant, exc, **measured)

    try:
        surface = attack_surface(engine, warm.image_id)
    except KitError as exc:
        return VariantOutcome(failed(exc, **built))
    built |= {
        "packages": surface.packages,
        "package_db": surface.package_db,
        "has_shell": surface.has_shell,
        "has_package_manager": surface.has_package_manager,
        "has_pip": surface.has_pip,
        "has_compiler": surface.has_compiler,
    }
    layer_rows: list[LayerRow] = []
    wasted: list[WastedRow] = []
    rule_bytes: list[RuleBytes] = []
    if anatomy:
        phase(bar, f"{variant.name}: layer anatomy")
        try:
            found = analyze_image(engine, warm.image_id, prefixes=RULE_PREFIXES)
        except KitError as exc:
            return VariantOutcome(failed(exc, **built))
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
        return VariantOutcome(
            row, trial_rows, tuple(layer_rows), tuple(wasted), tuple(rule_bytes), tuple(stages)
        )

    if error is not None:
        return outcome(failed(error, **built))
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
