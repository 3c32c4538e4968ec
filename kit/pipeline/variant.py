"""Measure one variant: build it cold and warm, size it, dissect its layers and stages, and time
its starts. A failure at any step becomes a failed row holding what was measured before it;
whatever the step created is removed on every exit path, Ctrl-C included. An engine that stops
answering is no variant's failure: its EngineGoneError stops the run."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kit.engine import RUN_LABEL, Engine
from kit.errors import EngineGoneError, KitError
from kit.measure.anatomy.layercache import LayerCache
from kit.measure.anatomy.layers import ImageAnatomy, analyze_image
from kit.measure.build import build_cold_and_warm
from kit.measure.contents import image_contents
from kit.measure.size import measure_size
from kit.measure.stages import stage_sizes
from kit.measure.start import run_trials
from kit.measure.steps import summarize_build
from kit.measure.surface import attack_surface
from kit.model.rows import (
    FileRow,
    ImageResult,
    LayerRow,
    PackageRow,
    RuleBytes,
    TrialResult,
    WastedRow,
)
from kit.model.rules import RULE_PREFIXES, SIZE_RULE_PATHS
from kit.model.samples import StageSize, StartSample, Status
from kit.spec.app import App, RejectedVariant, Variant
from kit.util.progress import line_reporter, phase, tqdm
from kit.util.stats import summarize

log = logging.getLogger("kit")
Tracker = Callable[[str], None]


@contextmanager
def _containers(engine: Engine, run_id: str) -> Iterator[tuple[Tracker, Tracker]]:
    """Track the containers a run creates; remove any left over, however the run ends."""
    live: set[str] = set()
    try:
        yield live.add, live.discard
    finally:
        for container in list(live) + engine.containers.kit_containers(run_id):
            engine.containers.remove(container)


def _row(
    app: App, variant: Variant | RejectedVariant, status: Status, **fields: Any
) -> ImageResult:
    """An image row: the variant's identity plus whatever was measured (or the error)."""
    return ImageResult(
        app=app.name,
        variant=variant.name,
        description=variant.description if isinstance(variant, Variant) else "",
        status=status,
        dockerfile=str(variant.dockerfile.relative_to(app.directory)),
        dockerfile_sha256=variant.sha256,
        stages=variant.stages if isinstance(variant, Variant) else 0,
        **fields,
    )


def failed_row(
    app: App, variant: Variant | RejectedVariant, exc: KitError, **measured: Any
) -> ImageResult:
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


def anatomy_rows(
    app: str, variant: str, anatomy: ImageAnatomy
) -> tuple[list[LayerRow], list[WastedRow], list[RuleBytes]]:
    """One image's layer anatomy as rows of the layers, wasted and rule_bytes tables."""
    layers = [
        LayerRow(app=app, variant=variant, **dataclasses.asdict(layer)) for layer in anatomy.layers
    ]
    wasted = [
        WastedRow(app, variant, w.path, w.wasted_bytes, ", ".join(map(str, w.layers)))
        for w in anatomy.top_wasted
    ]
    rules = [
        RuleBytes(
            app,
            variant,
            rule,
            ", ".join(prefixes),
            sum(anatomy.prefix_bytes.get(prefix, 0) for prefix in prefixes),
        )
        for rule, prefixes in SIZE_RULE_PATHS.items()
        if prefixes
    ]
    return layers, wasted, rules


@dataclass(frozen=True)
class VariantOutcome:
    """Everything measured for one variant; only ``row`` is certain to be there."""

    row: ImageResult
    trials: tuple[TrialResult, ...] = ()
    layers: tuple[LayerRow, ...] = ()
    wasted: tuple[WastedRow, ...] = ()
    rule_bytes: tuple[RuleBytes, ...] = ()
    stages: tuple[StageSize, ...] = ()
    files: tuple[FileRow, ...] = ()
    packages: tuple[PackageRow, ...] = ()


def _contents(
    engine: Engine, app: App, variant: Variant, image_id: str
) -> tuple[tuple[FileRow, ...], tuple[PackageRow, ...]]:
    found = image_contents(engine, image_id)
    return (
        tuple(
            FileRow(app.name, variant.name, f.path, f.bytes, f.kind, f.target) for f in found.files
        ),
        tuple(
            PackageRow(app.name, variant.name, p.name, p.version, p.bytes) for p in found.packages
        ),
    )


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
    layer_cache: LayerCache | None = None,
    contents: bool = True,
    bar: tqdm | None = None,
    builder: str = "classic",
) -> VariantOutcome:
    show = line_reporter(bar, f"{variant.name}: ") if bar is not None else None

    stages: list[StageSize] = []

    def measure_stages() -> None:
        if anatomy and variant.stages > 1:
            phase(bar, f"{variant.name}: stage sizes")
            stages.extend(stage_sizes(engine, app, variant, profile, builder=builder))

    try:
        cold, warm = build_cold_and_warm(
            engine,
            app,
            variant,
            profile,
            on_line=show,
            while_cached=measure_stages,
            builder=builder,
        )
    except EngineGoneError as exc:
        # Not this variant's failure: no later step can run either. The run stops here, and
        # what the engine keeps of it is swept by the next run (kit.engine.leftovers).
        exc.app, exc.variant = app.name, variant.name
        raise
    except KitError as exc:
        log.warning("%s", exc, extra=exc.context())
        return VariantOutcome(failed_row(app, variant, exc))
    try:
        base = app.release_base(variant, profile)
    except KitError as exc:
        return VariantOutcome(failed_row(app, variant, exc))
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
        **dataclasses.asdict(summarize_build(variant.file, cold.steps)),
    }

    def failed(exc: KitError, **measured: Any) -> ImageResult:
        exc.app, exc.variant, exc.file = app.name, variant.name, str(variant.dockerfile)
        if isinstance(exc, EngineGoneError):
            raise exc
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
            found = analyze_image(engine, warm.image_id, prefixes=RULE_PREFIXES, cache=layer_cache)
        except KitError as exc:
            return VariantOutcome(failed(exc, **built))
        built |= {
            "compressed_bytes": found.compressed_bytes,
            "efficiency": found.efficiency,
            "wasted_bytes": found.wasted_bytes,
            "dive_wasted_bytes": found.dive_wasted_bytes,
        }
        layer_rows, wasted, rule_bytes = anatomy_rows(app.name, variant.name, found)
    files: tuple[FileRow, ...] = ()
    packages: tuple[PackageRow, ...] = ()
    if contents:
        phase(bar, f"{variant.name}: files and packages")
        try:
            files, packages = _contents(engine, app, variant, warm.image_id)
        except KitError as exc:
            return VariantOutcome(failed(exc, **built))
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
            limits=app.limits,
        )
    trial_rows = tuple(_trial_rows(app, variant, samples))

    def outcome(row: ImageResult) -> VariantOutcome:
        return VariantOutcome(
            row,
            trial_rows,
            tuple(layer_rows),
            tuple(wasted),
            tuple(rule_bytes),
            tuple(stages),
            files,
            packages,
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
