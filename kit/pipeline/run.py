"""The state of one run of one app, as the pipeline's steps fill it in."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from kit.engine import Engine, EngineInfo
from kit.measure.anatomy.layercache import LayerCache
from kit.measure.lint import LintReport
from kit.model.failures import Failure
from kit.model.rows import FloorRow, ImageResult, RunInfo
from kit.model.store import Store
from kit.pipeline.options import Options
from kit.pipeline.outcome import VariantOutcome
from kit.pipeline.payoffs import Payoffs
from kit.spec.app import App, Variant
from kit.util.locks import engine_in_use, engine_lock


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
    reuse: Store | None  # where earlier measurements may come from (None: forced or no store)
    #: Layers already analysed, beside the store (forced: written, not read; no store: none).
    layer_cache: LayerCache | None = None
    lint: LintReport | None = None
    outcomes: list[VariantOutcome] = field(default_factory=list)
    rows: list[ImageResult] = field(default_factory=list)
    floor_rows: list[FloorRow] = field(default_factory=list)
    payoffs: Payoffs = field(default_factory=Payoffs)
    #: Asked-for steps that failed without a row of their own (hadolint that does not run).
    failures: list[Failure] = field(default_factory=list)
    #: App-level steps measured in this run, by the cache key of their inputs.
    steps: dict[str, str] = field(default_factory=dict)

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Timed steps never overlap on one engine (keyed by the daemon, not the socket)."""
        return engine_lock(self.info.daemon_id or self.info.host)

    def in_use(self) -> contextlib.AbstractContextManager[None]:
        """For the whole run: ``kit clean`` refuses to remove what the run builds and starts."""
        what = f"run {self.envelope.run_id} of {self.app.name}"
        return engine_in_use(self.info.daemon_id or self.info.host, what)
