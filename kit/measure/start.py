"""Container start timing, phase by phase, one trial at a time.

The phases are timed around the raw API calls (create → start → ready), because
``containers.run`` adds an inspect, a log attach and a wait of its own. Trials never overlap:
concurrent starts would measure contention, not start time.

A container under test is isolated: network ``none`` (an http probe reaches it from inside its
own namespace, or through a port published on 127.0.0.1 only: :mod:`kit.measure.reach`), never
privileged, no capability added, and capped in memory and processes (the app's ``[limits]``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kit.engine import Engine
from kit.errors import StartError
from kit.inputs.experiment import DEFAULT_LIMITS, Limits, Probe
from kit.measure.probes import wait_ready
from kit.measure.reach import PORT, choose
from kit.model.samples import StartSample


def run_trial(
    engine: Engine,
    image: str,
    probe: Probe,
    labels: dict[str, str],
    *,
    trial: int,
    warmup: bool,
    track: Callable[[str], None],
    untrack: Callable[[str], None],
    limits: Limits = DEFAULT_LIMITS,
) -> StartSample:
    """Time one start; the container is always removed, and a failure raises StartError."""
    reach = choose(engine) if probe.kind == "http" else None
    env = {"PORT": str(PORT)} if reach is not None else {}
    publish: tuple[int, ...] = ()
    if reach is not None and reach.mode == "publish":
        inspected = engine.images.inspect(image)
        publish = tuple(dict.fromkeys((PORT, *(inspected.exposed if inspected else ()))))
    container = None
    t0 = time.perf_counter()
    try:
        container = engine.containers.create(
            image,
            labels=labels,
            environment=env,
            network_mode="none" if reach is None else reach.network,
            memory_bytes=limits.memory_bytes,
            pids=limits.pids,
            publish=publish,
        )
        track(container)
        t1 = time.perf_counter()
        engine.containers.start(container)
        t2 = time.perf_counter()
        code = wait_ready(engine, container, probe, reach)
        t3 = time.perf_counter()
    except StartError as exc:
        if container is not None:
            exc.log_tail = tuple(engine.containers.logs(container))
        raise
    finally:
        if container is not None:
            engine.containers.remove(container)
            untrack(container)
    return StartSample(
        trial=trial,
        warmup=warmup,
        create_s=t1 - t0,
        start_s=t2 - t1,
        ready_s=t3 - t2,
        total_s=t3 - t0,
        exit_code=code,
        error=None,
        error_type=None,
    )


def failed_sample(trial: int, warmup: bool, exc: StartError) -> StartSample:
    return StartSample(trial, warmup, None, None, None, None, None, exc.message, exc.kind)


def run_trials(
    engine: Engine,
    image: str,
    probe: Probe,
    labels: dict[str, str],
    *,
    trials: int,
    warmups: int = 1,
    track: Callable[[str], None],
    untrack: Callable[[str], None],
    on_trial: Callable[[StartSample], None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[list[StartSample], StartError | None]:
    """Warm-ups, then timed trials, serially; stop at the first failure and return it."""
    samples: list[StartSample] = []
    for index in range(warmups + trials):
        warm = index < warmups
        number = index - warmups if not warm else index
        try:
            sample = run_trial(
                engine,
                image,
                probe,
                labels,
                trial=number,
                warmup=warm,
                track=track,
                untrack=untrack,
                limits=limits,
            )
        except StartError as exc:
            samples.append(failed_sample(number, warm, exc))
            return samples, exc
        samples.append(sample)
        if on_trial:
            on_trial(sample)
    return samples, None


def time_to_ready(
    engine: Engine,
    image: str,
    probe: Probe,
    labels: dict[str, str],
    limits: Limits = DEFAULT_LIMITS,
) -> float:
    """Seconds of one create + start + ready of ``image`` (a deploy's second half, after its
    pull); the container is removed however it ends, a failure raises StartError."""
    sample = run_trial(
        engine,
        image,
        probe,
        labels,
        trial=0,
        warmup=False,
        track=lambda _c: None,  # run_trial removes the container on every path
        untrack=lambda _c: None,
        limits=limits,
    )
    return sample.total_s or 0.0
