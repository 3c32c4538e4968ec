"""The state of one run of one app, as the pipeline's steps fill it in, and how a run starts:
what dead runs left swept away, the profile and builder resolved, the envelope made."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

from kit.config import settings
from kit.engine import Engine, EngineInfo
from kit.inputs import builders, profiles
from kit.inputs.app import App, Variant
from kit.measure.anatomy.layercache import LayerCache
from kit.measure.lint import LintReport
from kit.model.failures import Failure
from kit.model.rows import FloorRow, ImageResult, RunInfo
from kit.model.store import Store
from kit.pipeline.envelope import run_info
from kit.pipeline.options import Options
from kit.pipeline.outcome import VariantOutcome
from kit.pipeline.payoffs import Payoffs
from kit.pipeline.reuse import Reuse
from kit.util.locks import engine_in_use, engine_lock

log = logging.getLogger("kit")


@dataclass
class Run:
    """One run of one app, as the steps fill it in."""

    app: App
    engine: Engine
    info: EngineInfo
    options: Options
    profile: str  # the resolved one: local or hub
    envelope: RunInfo
    chosen: tuple[Variant, ...]  # the variants measured, as built under ``profile``
    stored: Store | None  # where earlier measurements may come from (None: forced or no store)
    #: Layers already analysed, beside the store (forced: written, not read; no store: none).
    layer_cache: LayerCache | None = None
    lint: LintReport | None = None
    outcomes: list[VariantOutcome] = field(default_factory=list)
    rows: list[ImageResult] = field(default_factory=list)
    floor_rows: list[FloorRow] = field(default_factory=list)
    payoffs: Payoffs = field(default_factory=Payoffs)
    #: Asked-for steps that failed without a row of their own (hadolint that does not run).
    failures: list[Failure] = field(default_factory=list)
    #: The one way to a measurement: reused from ``stored``, else measured under :meth:`lock`.
    reuse: Reuse = field(init=False)

    def __post_init__(self) -> None:
        self.reuse = Reuse(self.stored, self.engine, self.app.name, self.lock)

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Timed steps never overlap on one engine (keyed by the daemon, not the socket)."""
        return engine_lock(self.info.daemon_id or self.info.host)

    def in_use(self) -> contextlib.AbstractContextManager[None]:
        """For the whole run: ``kit clean`` refuses to remove what the run builds and starts."""
        what = f"run {self.envelope.run_id} of {self.app.name}"
        return engine_in_use(self.info.daemon_id or self.info.host, what)


def start_run(app: App, engine: Engine, options: Options, store: Store | None) -> Run:
    """The profile resolved, the envelope made, the variants chosen."""
    force = settings().force if options.force is None else options.force
    if swept := engine.leftovers.sweep():
        log.info(
            "removed what dead kit processes left on the engine: %d container(s), %d image(s), "
            "%d tag(s), %d mount(s) of dead BuildKit steps",
            swept.containers,
            swept.images,
            swept.tags,
            swept.mounts,
        )
    profile = profiles.resolve(options.profile, engine)
    builder, note = builders.resolve(options.builder, engine)
    if note:
        log.warning("%s", note)
    info = engine.info()
    envelope = run_info(
        info,
        profile=profile,
        requested=options.profile,
        directory=app.directory,
        parameters=options.as_json(force),
        builder=builder,
        requested_builder=options.builder,
        builder_note=note,
        builder_version=engine.buildkit().version_label if builder == "buildkit" else None,
    )
    chosen = tuple(
        v.for_profile(profile)
        for v in app.variants
        if not options.variants or v.name in options.variants
    )
    layer_cache = None if store is None else LayerCache.beside(store.root, read=not force)
    return Run(
        app,
        engine,
        info,
        options,
        profile,
        envelope,
        chosen,
        None if force else store,
        layer_cache=layer_cache,
    )
