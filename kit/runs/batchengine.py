"""What a batch does to the engine of the process that runs it: it holds the engine as in use for
the whole batch (``kit clean`` then refuses to pull images and containers from under its cells,
between cells too), and after Ctrl-C removes the containers its killed kernels could not.

With no engine answering there is nothing to hold or remove: the cells' own runs fail, or run
on the engines of the workers they are sent to (each run holds its own engine while it runs).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from kit.engine import BATCH_LABEL, Engine
from kit.errors import EngineError, KitError
from kit.util.locks import engine_in_use

log = logging.getLogger("kit.runs.batch")


def _connect() -> Engine | None:
    try:
        return Engine.connect(timeout=30)
    except EngineError:
        return None


@contextlib.contextmanager
def holding_engine(run_id: str) -> Iterator[None]:
    """The engine marked in use by this batch while the block runs."""
    engine = _connect()
    if engine is None:
        yield
        return
    try:
        info = engine.info()
    finally:
        engine.close()
    with engine_in_use(info.daemon_id or info.host, f"kit batch {run_id}"):
        yield


def remove_batch_containers(run_id: str) -> None:
    """Remove the containers of an interrupted batch: what a killed kernel could not remove."""
    engine = _connect()
    if engine is None:
        return  # no engine, so no containers to remove
    try:
        for container in engine.containers.kit_containers():
            if engine.containers.inspect(container).labels.get(BATCH_LABEL) == run_id:
                log.info("removing container %s left by batch %s", container[:12], run_id)
                engine.containers.remove(container)
    except KitError as exc:
        log.warning("could not remove the containers of batch %s: %s", run_id, exc)
    finally:
        engine.close()
