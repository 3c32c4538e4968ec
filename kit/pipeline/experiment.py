"""The experiment pipeline: one app directory → every variant built, measured and started →
typed :class:`~kit.model.results.Results`, appended to the store.

Read top to bottom, :func:`run_experiment` is the pipeline: options → app → run (engine, profile,
envelope) → lint → variants (each measured, or reused from the store) → floor → payoffs →
results → store. A failing variant becomes a failed row with its error and log tail; the other
variants are still measured. Whatever the kit creates is removed on every exit path, Ctrl-C
included.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from kit.engine import Engine
from kit.errors import KitError, UsageError
from kit.inputs.app import App, Variant, load_app
from kit.measure.lint import lint_or_failure
from kit.model.results import Results
from kit.model.store import Store
from kit.pipeline.cache import step_images, step_key, variant_key
from kit.pipeline.envelope import now
from kit.pipeline.floor import reused_floor, with_floor
from kit.pipeline.options import Options
from kit.pipeline.outcome import VariantOutcome, failed_row, merged, reused
from kit.pipeline.payoffrows import payoffs_complete, with_payoffs, with_pushed_sizes
from kit.pipeline.payoffs import Payoffs, measure_payoffs
from kit.pipeline.reuse import Measured
from kit.pipeline.run import Run, start_run
from kit.pipeline.variant import measure_variant
from kit.util.progress import bar_options, tqdm

log = logging.getLogger("kit")


def run_experiment(
    app_dir: str | Path,
    options: Options | None = None,
    /,
    *,
    store: str | Path | Store | None = None,
    engine: Engine | None = None,
    progress: bool = True,
    **choices: Any,
) -> Results:
    """Build, measure and start every variant of one app; one row per variant, failed or not.

    ``options`` (or its fields as keywords: ``profile``, ``trials``, ``distribution`` …, see
    :class:`~kit.pipeline.options.Options`) say what to measure. With a ``store``, the run is
    appended to it, and a variant whose inputs are unchanged since a stored run reuses that
    run's measurements (``force=True``, or KIT_FORCE=1, measures anew).
    """
    chosen = Options.of(options, **choices)
    app = _load(app_dir, chosen)
    stored = store if store is None or isinstance(store, Store) else Store(store)
    with _connected(engine) as connected, connected.leftovers.journal():
        # The journal names what this run creates, for the next run to remove should the
        # engine die under this one (kit.engine.leftovers).
        run = start_run(app, connected, chosen, stored)
        run.lint, unlinted = lint_or_failure(replace(app, variants=run.chosen))
        run.failures += [unlinted] if unlinted else []
        with (
            run.in_use(),
            tqdm(run.chosen, desc=app.name, unit="variant", **bar_options(progress)) as bar,
        ):
            for variant in bar:
                run.outcomes.append(_variant(run, variant, bar))
            run.rows = [o.row for o in run.outcomes]
            if chosen.floor:
                _floor(run)
            if any(chosen.of_step("payoffs").values()):
                _payoffs(run, bar)
        results = _results(run)
    if stored is not None:
        stored.append(results, steps=run.reuse.steps)
    return results


@contextlib.contextmanager
def _connected(engine: Engine | None) -> Iterator[Engine]:
    if engine is not None:
        yield engine
        return
    own = Engine.connect()
    try:
        yield own
    finally:
        own.close()


def _load(app_dir: str | Path, options: Options) -> App:
    app = load_app(app_dir)
    if options.build_timeout_s is not None:  # the command line's limit over the app's
        app = replace(app, build_timeout_s=float(options.build_timeout_s))
    unknown = set(options.variants) - {v.name for v in app.variants}
    if unknown:
        raise UsageError(f"no such variant(s): {', '.join(sorted(unknown))}", app=app.name)
    return app


def _variant(run: Run, variant: Variant, bar: tqdm) -> VariantOutcome:
    """One variant: reused from the store when its inputs are unchanged, else measured."""
    try:
        key = variant_key(
            run.engine,
            run.app,
            variant,
            run.profile,
            kit_version=run.envelope.kit_version,
            parameters=run.options.keyed(),
            builder=run.envelope.builder,
        )
    except KitError as exc:  # a FROM that cannot be worked out (``${IMG:?unset}``)
        log.warning("%s", exc, extra=exc.context())
        return VariantOutcome(failed_row(run.app, variant, exc))

    def measure() -> VariantOutcome:
        return measure_variant(
            run.engine,
            run.app,
            variant,
            run.profile,
            **run.options.of_step("variant"),  # trials, warmups, anatomy, contents
            run_id=run.envelope.run_id,
            layer_cache=run.layer_cache,
            bar=bar,
            builder=run.envelope.builder,
            measures=run.options.enabled(),
        )

    outcome = run.reuse.reuse_or_measure(
        Measured(
            variant.name,
            key,
            measure,
            lambda hit: reused(hit, variant.name),
            scope="variant",
        )
    )
    row = replace(outcome.row, cache_key=key)
    if run.lint is not None and any(
        s.variant == variant.name and s.status == "ok" for s in run.lint.statuses
    ):
        row = replace(row, lint_findings=run.lint.count(variant.name))
    return replace(outcome, row=row)


def _keys(run: Run) -> dict[str, str]:
    return {r.variant: str(r.cache_key) for r in run.rows if r.status == "ok"}


def _floor(run: Run) -> None:
    key = step_key(_keys(run), probe=repr(run.app.probe), images=step_images(run.rows))
    rows = list(run.rows)
    run.rows, run.floor_rows = run.reuse.reuse_or_measure(
        Measured(
            "floor",
            key,
            lambda: with_floor(run.engine, run.app, rows),
            lambda hit: reused_floor(hit, rows),
            # An unknown floor is retried next time, not reused.
            keep=lambda found: any(r.floor_bytes for r in found[0]),
        )
    )


def _payoffs(run: Run, bar: tqdm) -> None:
    options = run.options
    key = step_key(
        _keys(run),
        registry=options.registry,
        images=step_images(run.rows),
        # distribution, rebuild, capacity; fresh_host only when asked (kit.measurements).
        **options.keyed("payoffs"),
        # Only when asked: the keys of runs without it stay what they were.
        **({"probe": repr(run.app.probe)} if options.fresh_host else {}),
    )
    asked = (options.distribution, options.rebuild, options.capacity)

    def complete(p: Payoffs | Results) -> bool:
        return payoffs_complete(p, asked, run.rows, fresh_host=options.fresh_host)

    def kept(p: Payoffs) -> bool:
        # A failed part without rows (the fresh host's fill) would be reused without its
        # failure; a registry that was down is retried next time.
        failed = (
            bool(p.failures)
            or any(x.status == "failed" for x in p.distribution)
            or any(x.status == "failed" for x in p.rebuild)
        )
        return not failed and complete(p)

    def measure() -> Payoffs:
        return measure_payoffs(
            run.engine,
            run.app,
            run.profile,
            run.rows,
            run.chosen,
            **options.of_step("payoffs"),  # distribution, fresh_host, rebuild, capacity
            registry_url=options.registry,
            bar=bar,
            builder=run.envelope.builder,
            layer_cache=run.layer_cache,  # the containerd store's capacity reads the layers
        )

    run.payoffs = run.reuse.reuse_or_measure(
        Measured(
            "payoffs",
            key,
            measure,
            lambda hit: Payoffs(hit.distribution_rows, hit.rebuild_rows, hit.capacity_rows),
            usable=complete,
            keep=kept,
        )
    )
    run.outcomes, run.rows = with_pushed_sizes(run.outcomes, run.rows, run.payoffs.pushed_sizes)
    run.rows = with_payoffs(run.rows, run.payoffs)


def _results(run: Run) -> Results:
    rejected = tuple(failed_row(run.app, r, r.error) for r in run.app.rejected)
    outcomes, lint = run.outcomes, run.lint
    return Results(
        replace(run.envelope, finished_utc=now()),
        run.app.name,
        run.app.title,
        rejected + tuple(run.rows),
        tuple(t for o in outcomes for t in o.trials),
        run.app.claims,
        lint_rows=lint.findings if lint else (),
        lint_statuses=lint.statuses if lint else (),
        layer_rows=tuple(x for o in outcomes for x in o.layers),
        wasted_rows=tuple(x for o in outcomes for x in o.wasted),
        rule_bytes=tuple(x for o in outcomes for x in o.rule_bytes),
        stage_rows=tuple(x for o in outcomes for x in o.stages),
        floor_rows=tuple(run.floor_rows),
        file_rows=tuple(x for o in outcomes for x in o.files),
        package_rows=tuple(x for o in outcomes for x in o.packages),
        distribution_rows=run.payoffs.distribution,
        rebuild_rows=run.payoffs.rebuild,
        capacity_rows=run.payoffs.capacity,
        budgets=run.app.budgets,
        step_failures=(*run.failures, *run.payoffs.failures),
        measured=merged(outcomes),
    )
