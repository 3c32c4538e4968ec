"""``kit batch``: run every cell of a matrix (see :mod:`kit.runs.matrix`) with papermill.

Each cell's executed notebook goes to ``<runs>/<run_id>/<cell name>.ipynb``; a failing notebook
is kept and recorded, and the batch goes on. After every change the run dir's ``batch.json`` is
replaced atomically, one record per cell: notebook, parameters, output, status (``pending``,
``running``, ``submitted`` to an executor, ``ok``, ``partial`` — it ran, but a measurement its
run asked for failed — ``failed``, ``interrupted``), error, started
and finished UTC, seconds. Running the same run id again skips the cells that are ``ok`` (and
whose notebook is still there) and runs the rest. A lock in the run dir keeps a second batch off
the same run id.

Each kernel gets ``KIT_BATCH_ID=<run id>`` (the kit labels the containers it creates with it, so
an interrupted batch can remove them: :mod:`kit.runs.batchengine`, which also marks the engine in
use for the whole batch), ``KIT_PROGRESS=off`` (no progress bars in the executed notebook),
``KIT_FORCE=1`` only when forced, and a temp dir of its own
as ``TMPDIR``. How a cell runs, and what Ctrl-C does to it, is in :mod:`kit.runs.cell`. With an
executor, Ctrl-C records the unfinished cells as interrupted, cancels those not started, asks the
running ones to stop through a file in the run dir (a Dask worker's thread never sees our SIGINT;
a cluster on other hosts must share the run dir's filesystem to see it), waits for them as long as
a kernel gets to stop, and removes the batch's containers.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import logging
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kit.errors import UsageError
from kit.runs.batchengine import holding_engine, remove_batch_containers
from kit.runs.cell import CellError, CellOutcome, CellSpec, run_cell, stop_cells, utc_now
from kit.runs.matrix import RUN_ID, Cell, Matrix, Parameters, load_matrix
from kit.runs.notebooks import KERNEL_ENV
from kit.runs.portable import relative_parameter
from kit.runs.state import STATE, BatchState
from kit.util.locks import file_lock
from kit.util.progress import bar_options, tqdm

log = logging.getLogger("kit.runs.batch")
STOP = "stop"  # written on Ctrl-C: cells on an executor's workers watch for it
_UNTIMED = {"started_utc": None, "finished_utc": None, "seconds": None}


@dataclass(frozen=True)
class CellResult:
    notebook: Path
    parameters: Parameters
    output: Path
    status: str  # "ok" | "partial" | "failed" | "interrupted", as batch.json records it
    error: CellError | None
    seconds: float | None
    skipped: bool  # ok in an earlier run of the same run id, so not run again


@dataclass(frozen=True)
class BatchResult:
    run_id: str
    run_dir: Path
    cells: tuple[CellResult, ...]

    @property
    def ok(self) -> tuple[CellResult, ...]:
        return tuple(c for c in self.cells if c.status == "ok")

    @property
    def failed(self) -> tuple[CellResult, ...]:
        """Every cell not ``ok``: a partial one did not get what it asked for either."""
        return tuple(c for c in self.cells if c.status != "ok")

    @property
    def partial(self) -> tuple[CellResult, ...]:
        return tuple(c for c in self.cells if c.status == "partial")


def default_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _result(cell: Cell, output: Path, entry: dict[str, Any], *, skipped: bool) -> CellResult:
    error = entry.get("error")
    return CellResult(
        notebook=cell.notebook,
        parameters=cell.parameters,
        output=output,
        status=str(entry.get("status")),
        error=CellError(**error) if isinstance(error, dict) else None,
        seconds=entry.get("seconds"),
        skipped=skipped,
    )


def _outcome(run: Callable[[], CellOutcome]) -> CellOutcome:
    """A cell's outcome; a failure outside the notebook (a lost worker, say) fails the cell."""
    started = utc_now()
    try:
        return run()
    except Exception as exc:
        return CellOutcome(
            "failed", CellError(type(exc).__name__, str(exc)), started, utc_now(), 0.0
        )


@contextlib.contextmanager
def _interrupt_cleanup(
    run_id: str, state: BatchState, pending: dict[str, tuple[Cell, Path]], run_dir: Path
) -> Iterator[None]:
    """On Ctrl-C (or any escape): cells not finished are ``interrupted``, state saved, the
    batch's containers removed, and the exception goes on."""
    try:
        yield
    except BaseException:
        for name, (cell, output) in pending.items():
            if state.cells[name]["status"] in ("running", "submitted"):
                state.record(cell, output, status="interrupted", finished_utc=utc_now())
        state.save()
        remove_batch_containers(run_id)
        raise
    finally:
        # .tmp only holds the temp dirs of running cells, each removed by its cell.
        with contextlib.suppress(OSError):
            (run_dir / ".tmp").rmdir()


def run_batch(
    matrix: str | Path | Matrix,
    *,
    run_id: str | None = None,
    runs_dir: str | Path = "runs",
    store: str | Path = "results",
    force: bool = False,
    executor: concurrent.futures.Executor | None = None,
    quiet: bool = False,
    phases: Mapping[str, float] | None = None,
) -> BatchResult:
    """Run every cell of ``matrix`` not already ``ok`` under ``run_id`` (``force``: every cell).
    ``phases``: seconds of what ran before the batch, recorded in ``batch.json``.

    ``run_id`` defaults to the matrix's, else a new UTC timestamp. ``store`` is passed to the
    notebooks that declare a ``store`` parameter the matrix does not set. With an ``executor``,
    cells run on it in parallel; without one, one after the other in this process.
    """
    loaded = matrix if isinstance(matrix, Matrix) else load_matrix(matrix)
    rid = run_id or loaded.run_id or default_run_id()
    if not RUN_ID.fullmatch(rid):
        raise UsageError(f"run id {rid!r} is not a safe name ({RUN_ID.pattern})")
    run_dir = Path(runs_dir).resolve() / rid
    run_dir.mkdir(parents=True, exist_ok=True)
    with (
        file_lock(run_dir / "batch.lock", what=f"the batch run dir {run_dir}", timeout_s=0),
        holding_engine(rid),
    ):
        state = BatchState(run_dir / STATE, rid, loaded.path, phases)
        return _run_locked(loaded, state, run_dir, Path(store).resolve(), force, executor, quiet)


def _spec(
    cell: Cell,
    output: Path,
    run_id: str,
    run_dir: Path,
    store: Path,
    force: bool,
    progress: bool,
    watch: bool,
) -> CellSpec:
    parameters = dict(cell.parameters)
    if "store" in cell.declared and "store" not in parameters:
        # Relative to the kernel's folder where it can be, as the notebooks' own defaults are.
        parameters["store"] = relative_parameter(str(store), cell.notebook.parent, run_dir)
    return CellSpec(
        notebook=str(cell.notebook),
        output=str(output),
        parameters=tuple(parameters.items()),
        timeout_s=cell.timeout_s,
        env=(("KIT_BATCH_ID", run_id), *KERNEL_ENV.items())
        + ((("KIT_FORCE", "1"),) if force else ()),
        unset=() if force else ("KIT_FORCE",),
        tmp_root=str(run_dir / ".tmp"),
        progress=progress,
        stop_file=str(run_dir / STOP) if watch else None,
    )


def _run_locked(
    matrix: Matrix,
    state: BatchState,
    run_dir: Path,
    store: Path,
    force: bool,
    executor: concurrent.futures.Executor | None,
    quiet: bool,
) -> BatchResult:
    run_id = state.head["run_id"]
    # Under the lock no cell of this run is running: what is in .tmp was left by a killed batch,
    # and a stop request was an earlier batch's.
    shutil.rmtree(run_dir / ".tmp", ignore_errors=True)
    (run_dir / STOP).unlink(missing_ok=True)
    done: dict[str, CellResult] = {}
    todo: dict[str, tuple[Cell, Path]] = {}
    for cell in matrix.cells:
        output = run_dir / f"{cell.name}.ipynb"
        entry = state.cells.get(cell.name, {})
        if not force and entry.get("status") == "ok" and output.exists():
            done[cell.name] = _result(cell, output, entry, skipped=True)
        else:
            todo[cell.name] = (cell, output)
            state.record(cell, output, status="pending", error=None, **_UNTIMED)
    state.save()
    if done:
        log.info("batch %s: %d cell(s) already ok, %d to run", run_id, len(done), len(todo))
    local = executor is None
    specs = {
        name: _spec(cell, out, run_id, run_dir, store, force, not quiet and local, not local)
        for name, (cell, out) in todo.items()
    }
    bar = tqdm(total=len(matrix.cells), initial=len(done), unit="cell", **bar_options(not quiet))

    def finished(name: str, outcome: CellOutcome) -> None:
        cell, output = todo.pop(name)
        state.finish(cell, output, outcome)
        state.save()
        done[name] = _result(cell, output, state.cells[name], skipped=False)
        if outcome.status == "ok":
            log.info("%s: ok in %.1f s", name, outcome.seconds)
        else:
            kept = f"; kept: {output}" if output.exists() else ""
            log.warning("%s: %s (%s)%s", name, outcome.status, outcome.error, kept)
        bar.update(1)
        if outcome.status == "interrupted":
            raise KeyboardInterrupt

    with bar, _interrupt_cleanup(run_id, state, todo, run_dir):
        if executor is None:
            for name in list(todo):
                cell, output = todo[name]
                bar.set_description(name)
                log.info("%s: started", name)
                state.record(cell, output, status="running", started_utc=utc_now())
                state.save()
                finished(name, _outcome(functools.partial(run_cell, specs[name])))
        else:
            futures = {executor.submit(run_cell, specs[name]): name for name in todo}
            for cell, output in todo.values():
                state.record(cell, output, status="submitted")
            state.save()
            log.info("batch %s: %d cell(s) submitted", run_id, len(futures))
            try:
                for future in concurrent.futures.as_completed(futures):
                    finished(futures[future], _outcome(future.result))
            except BaseException:
                stop_cells(futures, run_dir / STOP)
                raise
    return BatchResult(run_id, run_dir, tuple(done[cell.name] for cell in matrix.cells))
