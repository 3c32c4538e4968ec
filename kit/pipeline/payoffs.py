"""The payoffs the advice promises, measured once every variant of an app is built.

Push and pull through a real registry, the rebuild after a one-line source edit, and how many
images fit on a host. They run after the variants because they compare them: a warm push needs
a sibling's layers in the registry, and shared disk is a property of the set.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from kit.engine import Engine
from kit.errors import EngineGoneError, KitError
from kit.host.manifest import Manifest
from kit.host.registry import Registry, local_registry
from kit.inputs.app import App, Variant
from kit.measure.anatomy.layercache import LayerCache
from kit.measure.capacity import DEFAULT_CAPACITY, measure_capacity
from kit.measure.rebuild import measure_rebuild
from kit.measure.start import time_to_ready
from kit.measure.transfer.fresh_host import Fill, measure_fresh_or_fail
from kit.measure.transfer.push_pull import measure_distribution
from kit.measure.transfer.trials import skipped_sample
from kit.model.failures import Failure, one_line
from kit.model.rows import CapacityTableRow, DistributionRow, ImageResult, RebuildRow
from kit.util.progress import timed, tqdm

log = logging.getLogger("kit")


@dataclass(frozen=True)
class Payoffs:
    distribution: tuple[DistributionRow, ...] = ()
    rebuild: tuple[RebuildRow, ...] = ()
    capacity: tuple[CapacityTableRow, ...] = ()
    #: What the registry recorded for this run's pushes: layer sizes by diff id, config sizes
    #: by image id (see :func:`with_pushed_sizes`).
    pushed_sizes: Mapping[str, int] = field(default_factory=dict)
    #: The fresh host holding every variant (``fresh_host`` with ``capacity``), if measured.
    fill: Fill | None = None
    #: Asked-for parts that failed without a row of their own to say so.
    failures: tuple[Failure, ...] = ()


#: Warm push/pull trials per variant (cold ones: the ``distribution`` trials asked for).
WARM_TRIALS = 1


@contextlib.contextmanager
def _registry(url: str | None) -> Iterator[Registry]:
    if url:
        yield Registry.external(url)
    else:
        with local_registry() as registry:
            yield registry


def _distribution(
    engine: Engine,
    app: App,
    rows: Sequence[ImageResult],
    trials: int,
    url: str | None,
    sizes: dict[str, int],
    fresh: tuple[bool, bool] = (False, False),
) -> tuple[list[DistributionRow], Fill | None, Failure | None]:
    """Base-present trials; then, with ``fresh[0]``, the fresh-host ones (``fresh[1]``: and the
    host filled with every variant), and a deploy time for the base-present cold pulls too."""
    samples = [skipped_sample(r.variant, f"not built: {r.error}") for r in rows if r.status != "ok"]
    images = [(r.variant, str(r.tag)) for r in rows if r.status == "ok" and r.tag]

    def record(diff_ids: Sequence[str], manifest: Manifest) -> None:
        if len(diff_ids) == len(manifest.layers):
            sizes.update(zip(diff_ids, (layer.size for layer in manifest.layers), strict=True))
            sizes[manifest.config.digest] = manifest.config.size

    def ready(variant: str, image: str) -> float:
        labels = {"kit.app": app.name, "kit.variant": variant, "kit.scenario": "base-present"}
        return time_to_ready(engine, image, app.probe, labels, app.limits)

    fill, unfilled = None, None
    if images:
        with _registry(url) as registry:
            # With a fresh host asked for, the base-present pulls are deployed too: the two
            # scenarios' deploy times side by side.
            hook = ready if fresh[0] else None
            # Warm trials once: their bytes repeat exactly and no claim fits their timings.
            samples.extend(
                measure_distribution(engine, images, trials, registry, record, hook, WARM_TRIALS)
            )
            if fresh[0]:
                with timed(None, "the fresh host"):
                    found = measure_fresh_or_fail(
                        engine,
                        images,
                        trials,
                        registry,
                        app.probe,
                        limits=app.limits,
                        fill=fresh[1],
                    )
                samples.extend(found.samples)
                fill = found.fill
                if found.fill_error is not None:
                    unfilled = Failure("fresh host fill", None, one_line(found.fill_error))
    made = [DistributionRow(**dataclasses.asdict(s), app=app.name) for s in samples]
    return made, fill, unfilled


def _rebuild(
    engine: Engine,
    app: App,
    rows: Sequence[ImageResult],
    variants: Sequence[Variant],
    profile: str,
    trials: int,
    builder: str,
) -> list[RebuildRow]:
    ok = {r.variant for r in rows if r.status == "ok"}
    found = []
    for variant in variants:
        if variant.name not in ok:
            continue
        for trial in range(trials):
            result = measure_rebuild(engine, app, variant, profile, builder=builder)
            found.append(RebuildRow(**dataclasses.asdict(result), app=app.name, trial=trial))
            if result.status != "ok":
                break  # the same edit fails the same way; one failed row says why
    return found


def _capacity(
    engine: Engine, app: App, rows: Sequence[ImageResult], cache: LayerCache | None
) -> tuple[list[CapacityTableRow], Failure | None]:
    images = [(r.variant, str(r.tag)) for r in rows if r.status == "ok" and r.tag]
    if not images:
        return [], None
    try:
        found = measure_capacity(engine, app.name, images, DEFAULT_CAPACITY, cache)
    except EngineGoneError:
        raise
    except KitError as exc:
        # A reused variant whose image was removed since: the rest of the run still stands,
        # and the run says what it could not measure.
        log.warning("images per host not measured: %s", exc, extra=exc.context())
        return [], Failure("images per host", None, one_line(exc))
    return [
        CapacityTableRow(
            **dataclasses.asdict(row),
            capacity_bytes=found.capacity_bytes,
            app_separate_bytes=found.separate_bytes,
            app_together_bytes=found.together_bytes,
        )
        for row in found.rows
    ], None


def measure_payoffs(
    engine: Engine,
    app: App,
    profile: str,
    rows: Sequence[ImageResult],
    variants: Sequence[Variant],
    *,
    distribution: int,
    rebuild: int,
    capacity: bool,
    registry_url: str | None = None,
    bar: tqdm | None = None,
    builder: str = "classic",
    fresh_host: bool = False,
    layer_cache: LayerCache | None = None,
) -> Payoffs:
    """Each part only when asked for (``distribution``/``rebuild``: trials, 0 skips;
    ``fresh_host``: the distribution trials on an empty extra engine too)."""
    pushed: list[DistributionRow] = []
    sizes: dict[str, int] = {}
    rebuilt: list[RebuildRow] = []
    fits: list[CapacityTableRow] = []
    failed: list[Failure | None] = []
    if capacity:
        with timed(bar, "images per host"):
            fits, broke = _capacity(engine, app, rows, layer_cache)
        failed.append(broke)
    if rebuild:
        with timed(bar, "rebuild after an edit"):
            rebuilt = _rebuild(engine, app, rows, variants, profile, rebuild, builder)
    fill = None
    if distribution:
        fresh = (fresh_host, capacity and bool(fits))
        with timed(bar, "push and pull" + (", then a fresh host" if fresh_host else "")):
            pushed, fill, unfilled = _distribution(
                engine, app, rows, distribution, registry_url, sizes, fresh
            )
        failed.append(unfilled)
    if fill is not None:
        fits = [
            replace(
                f, fresh_layers_bytes=fill.layers_bytes, fresh_data_root_bytes=fill.data_root_bytes
            )
            for f in fits
        ]
    failures = tuple(f for f in failed if f is not None)
    return Payoffs(tuple(pushed), tuple(rebuilt), tuple(fits), sizes, fill, failures)
