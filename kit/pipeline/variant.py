"""Measure one variant: build it cold and warm, size it, dissect its layers and stages, list its
files, take the registered measurements (:mod:`kit.measurements`) and time its starts — each a
phase function, run in turn by :func:`measure_variant`.

A phase takes what was measured so far (a :class:`VariantOutcome`) and returns it with more, or
raises a :class:`~kit.errors.KitError`; the one failure wrapper (:func:`_attempt`) turns that
into a failed row holding the columns measured before it, and no later phase runs. The start
trials are the exception that proves the rule: a failed start comes back as a value, and its
row fails with every table measured so far kept (the trials before it say what happened).
Whatever a phase creates is removed on every exit path, Ctrl-C included. An engine that stops
answering is no variant's failure: its EngineGoneError stops the run."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from kit.engine import RUN_LABEL, Engine
from kit.errors import EngineGoneError, ImageGoneError, KitError
from kit.inputs.app import App, Variant
from kit.measure.anatomy.layercache import LayerCache
from kit.measure.anatomy.layers import analyze_image
from kit.measure.build import build_cold_and_warm
from kit.measure.contents import image_contents
from kit.measure.size import measure_size
from kit.measure.stages import stage_sizes
from kit.measure.start import run_trials
from kit.measure.steps import summarize_build
from kit.measure.surface import attack_surface
from kit.measurements import Measurement
from kit.model.rows import FileRow, ImageResult, PackageRow
from kit.model.rules import RULE_PREFIXES
from kit.model.samples import StageSize
from kit.model.tables import TableRows
from kit.pipeline.outcome import (
    VariantOutcome,
    anatomy_rows,
    failed_fields,
    failed_row,
    image_row,
    trial_rows,
)
from kit.util.progress import line_reporter, phase, tqdm
from kit.util.stats import summarize

__all__ = ["VariantOutcome", "failed_row", "measure_variant"]

log = logging.getLogger("kit")
Tracker = Callable[[str], None]


@dataclass(frozen=True)
class Job:
    """What every phase of one variant's measurement reads."""

    engine: Engine
    app: App
    variant: Variant
    profile: str
    trials: int
    warmups: int
    run_id: str
    anatomy: bool
    layer_cache: LayerCache | None
    contents: bool
    bar: tqdm | None
    builder: str
    measures: tuple[Measurement, ...] = ()

    def phase(self, what: str) -> None:
        phase(self.bar, f"{self.variant.name}: {what}")


Phase = Callable[[Job, VariantOutcome], VariantOutcome]


def _measured(so_far: VariantOutcome, **columns: Any) -> VariantOutcome:
    return replace(so_far, row=replace(so_far.row, **columns))


def _failed(job: Job, exc: KitError, row: ImageResult) -> ImageResult:
    """``row`` (the columns measured so far) failed with ``exc``; an engine gone stops the run."""
    exc.app = exc.app or job.app.name
    exc.variant = exc.variant or job.variant.name
    exc.file = exc.file or str(job.variant.dockerfile)
    if isinstance(exc, EngineGoneError):
        # Not this variant's failure: no later step can run either. The run stops here, and
        # what the engine keeps of it is swept by the next run (kit.engine.leftovers).
        raise exc
    log.warning("%s", exc, extra=exc.context())
    return replace(row, status="failed", **failed_fields(exc))


def _attempt(job: Job, step: Phase, so_far: VariantOutcome) -> VariantOutcome:
    """The one failure wrapper: a phase that raises leaves a failed row of what came before."""
    try:
        return step(job, so_far)
    except KitError as exc:
        return VariantOutcome(_failed(job, exc, so_far.row))


def _build(job: Job, so_far: VariantOutcome) -> VariantOutcome:
    """Cold and warm builds (the stage sizes while the cache still holds the stages), then the
    warm image's size against its release base."""
    stages: list[StageSize] = []

    def measure_stages() -> None:
        if job.anatomy and job.variant.stages > 1:
            job.phase("stage sizes")
            stages.extend(
                stage_sizes(
                    job.engine,
                    job.app,
                    job.variant,
                    job.profile,
                    builder=job.builder,
                    cache=job.layer_cache,
                )
            )

    show = line_reporter(job.bar, f"{job.variant.name}: ") if job.bar is not None else None
    cold, warm = build_cold_and_warm(
        job.engine,
        job.app,
        job.variant,
        job.profile,
        on_line=show,
        while_cached=measure_stages,
        builder=job.builder,
    )
    base = job.app.release_base(job.variant, job.profile)
    size = measure_size(job.engine, warm.image_id, base, job.layer_cache)
    built = _measured(
        so_far,
        image_id=warm.image_id,
        tag=warm.tag,
        size_bytes=size.size_bytes,
        engine_size_bytes=size.engine_size_bytes,
        layers=size.layers,
        history_steps=size.history_steps,
        empty_steps=size.empty_steps,
        base_image=size.base_image,
        base_bytes=size.base_bytes,
        build_cold_s=cold.seconds,
        build_warm_s=warm.seconds,
        **dataclasses.asdict(summarize_build(job.variant.file, cold.steps)),
    )
    return replace(built, stages=tuple(stages))


def _surface(job: Job, so_far: VariantOutcome) -> VariantOutcome:
    surface = attack_surface(job.engine, str(so_far.row.image_id))
    return _measured(
        so_far,
        packages=surface.packages,
        package_db=surface.package_db,
        has_shell=surface.has_shell,
        has_package_manager=surface.has_package_manager,
        has_pip=surface.has_pip,
        has_compiler=surface.has_compiler,
    )


def _anatomy(job: Job, so_far: VariantOutcome) -> VariantOutcome:
    if not job.anatomy:
        return so_far
    job.phase("layer anatomy")
    image = str(so_far.row.image_id)
    found = analyze_image(job.engine, image, prefixes=RULE_PREFIXES, cache=job.layer_cache)
    layers, wasted, rules = anatomy_rows(job.app.name, job.variant.name, found)
    measured = _measured(
        so_far,
        compressed_bytes=found.compressed_bytes,
        efficiency=found.efficiency,
        wasted_bytes=found.wasted_bytes,
        dive_wasted_bytes=found.dive_wasted_bytes,
    )
    return replace(measured, layers=tuple(layers), wasted=tuple(wasted), rule_bytes=tuple(rules))


def _contents(job: Job, so_far: VariantOutcome) -> VariantOutcome:
    if not job.contents:
        return so_far
    job.phase("files and packages")
    found = image_contents(job.engine, str(so_far.row.image_id))
    app, name = job.app.name, job.variant.name
    return replace(
        so_far,
        files=tuple(FileRow(app, name, f.path, f.bytes, f.kind, f.target) for f in found.files),
        packages=tuple(PackageRow(app, name, p.name, p.version, p.bytes) for p in found.packages),
    )


def _registered(job: Job, so_far: VariantOutcome) -> VariantOutcome:
    """Each registered measurement this run takes (:mod:`kit.measurements`), from the image's
    inspect document."""
    if not job.measures:
        return so_far
    image = str(so_far.row.image_id)
    inspected = job.engine.images.document(image)
    if inspected is None:
        raise ImageGoneError(f"image {image} vanished before it could be measured")
    app, name = job.app.name, job.variant.name
    tables = tuple(
        TableRows(m.table.name, m.measure(app, name, inspected))
        for m in job.measures
        if m.table is not None and m.measure is not None  # the image-step ones (Options.enabled)
    )
    return replace(so_far, measured=so_far.measured + tables)


@contextmanager
def _containers(engine: Engine, run_id: str) -> Iterator[tuple[Tracker, Tracker]]:
    """Track the containers a run creates; remove any left over, however the run ends."""
    live: set[str] = set()
    try:
        yield live.add, live.discard
    finally:
        for container in list(live) + engine.containers.kit_containers(run_id):
            engine.containers.remove(container)


def _starts(job: Job, so_far: VariantOutcome) -> VariantOutcome:
    """The timed starts; a start that fails keeps the trials and tables measured so far."""
    job.phase("start trials")
    labels = {RUN_LABEL: job.run_id, "kit.app": job.app.name, "kit.variant": job.variant.name}
    with _containers(job.engine, job.run_id) as (track, untrack):
        samples, error = run_trials(
            job.engine,
            str(so_far.row.tag),
            job.app.probe,
            labels,
            trials=job.trials,
            warmups=job.warmups,
            track=track,
            untrack=untrack,
            limits=job.app.limits,
        )
    tried = replace(so_far, trials=trial_rows(job.app, job.variant, samples))
    if error is not None:
        return replace(tried, row=_failed(job, error, so_far.row))
    stats = summarize([s.total_s for s in samples if not s.warmup and s.total_s is not None])
    return _measured(
        tried,
        start_n=stats.n,
        start_median_s=stats.median,
        start_iqr_s=stats.iqr,
        start_min_s=stats.low,
        start_max_s=stats.high,
    )


#: In order: each phase reads what the ones before it measured (the image, its tag).
PHASES: tuple[Phase, ...] = (_build, _surface, _anatomy, _contents, _registered, _starts)


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
    measures: tuple[Measurement, ...] = (),
) -> VariantOutcome:
    """Every phase in turn, until one fails (then its failed row, see the module's doc)."""
    job = Job(
        engine,
        app,
        variant,
        profile,
        trials,
        warmups,
        run_id,
        anatomy,
        layer_cache,
        contents,
        bar,
        builder,
        measures,
    )
    outcome = VariantOutcome(image_row(app, variant, "ok", error=None, error_type=None))
    for step in PHASES:
        outcome = _attempt(job, step, outcome)
        if outcome.row.status != "ok":
            break
    return outcome
