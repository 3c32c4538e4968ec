"""One cell of a batch: a notebook executed by papermill in a kernel of its own.

:func:`run_cell` is a top-level function of picklable arguments, so any
``concurrent.futures.Executor`` can run it — a Dask client's ``get_executor()`` included.

The kernel's environment and working directory are set through the kernel manager papermill's
client creates (``kernel_manager_class``): jupyter_client passes ``env`` and ``cwd`` on to
``Popen``. Nothing process-wide changes (papermill's own ``cwd`` option would ``chdir`` the whole
process), so cells may run in threads.

Ctrl-C: jupyter_client starts the kernel in a session of its own, so the terminal's SIGINT never
reaches it. In the main thread the first SIGINT is forwarded to the kernel, which stops the cell
the way Ctrl-C stops the kit anywhere else (it removes what it created); papermill then writes the
notebook and shuts the kernel down as usual. A second SIGINT, or a kernel still busy after
:data:`GRACE_S`, kills the kernel's process group. Whatever happens, the kernel is gone and the
cell's temp dir removed when :func:`run_cell` returns or raises.

A cell on another process's thread (a Dask worker's) never sees the batch's SIGINT, so the batch
asks its cells to stop through a file (:func:`request_stop`, in the run dir): each cell watches
for it and stops its kernel the same way, as a first Ctrl-C would.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Literal

from kit.runs.notebooks import KERNEL
from kit.runs.portable import make_portable
from kit.runs.summaries import missing, read_summaries

log = logging.getLogger("kit.runs.batch")

#: Seconds an interrupted kernel gets to stop its cell and clean up before it is killed.
GRACE_S = 60.0
#: ``partial``: the notebook ran to its end, but a measurement its run asked for failed (its
#: headline says which); it is not ``ok``, and a resumed batch runs it again.
STATUSES = ("ok", "partial", "failed", "interrupted")
CellStatus = Literal["ok", "partial", "failed", "interrupted"]


@dataclass(frozen=True)
class CellError:
    """Why a cell did not finish: the exception's name and value, and the notebook cell's
    execution count when the failure happened inside one."""

    ename: str
    evalue: str
    cell: int | None = None

    def __str__(self) -> str:
        where = f"cell {self.cell}: " if self.cell is not None else ""
        return f"{where}{self.ename}: {self.evalue}" if self.evalue else f"{where}{self.ename}"


@dataclass(frozen=True)
class CellSpec:
    """Everything a worker needs to run one cell: plain values only, so it pickles."""

    notebook: str
    output: str
    parameters: tuple[tuple[str, object], ...]
    timeout_s: int
    env: tuple[tuple[str, str], ...]  # added to the kernel's environment
    unset: tuple[str, ...]  # removed from it
    tmp_root: str
    progress: bool = False
    stop_file: str | None = None  # when it appears, the cell is stopped as by Ctrl-C


@dataclass(frozen=True)
class CellOutcome:
    status: CellStatus
    error: CellError | None
    started_utc: str
    finished_utc: str
    seconds: float


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _kernel_manager(env: dict[str, str], cwd: str, tmp: Path, started: list[Any]) -> type:
    """A kernel manager class that starts the kernel with this cell's env and cwd, keeps its
    connection file in the cell's temp dir and remembers the process, to make sure it is gone."""
    from jupyter_client.manager import AsyncKernelManager

    class CellKernelManager(AsyncKernelManager):
        # jupyter_client types the async start_kernel as its sync base class's.
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            self.connection_file = str(tmp / "kernel.json")
            await super().start_kernel(**{**kw, "env": env, "cwd": cwd})
            process = getattr(self.provisioner, "process", None)
            if process is not None:
                started.append(process)

    return CellKernelManager


def _signal_group(processes: list[subprocess.Popen[bytes]], signum: int) -> None:
    for process in processes:
        # poll() reaps a finished kernel, so a live pid here is still our child's.
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                # The kernel leads its own session: its pid is its process group's id.
                os.killpg(process.pid, signum)


def _kill(processes: list[subprocess.Popen[bytes]]) -> None:
    _signal_group(processes, signal.SIGKILL)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


@contextlib.contextmanager
def _forward_sigint(processes: list[subprocess.Popen[bytes]]) -> Iterator[list[bool]]:
    """Turn the first SIGINT into an interrupt of the kernel (yields ``[interrupted]``)."""
    hit = [False]
    if threading.current_thread() is not threading.main_thread():
        yield hit  # signal handlers belong to the main thread; a worker thread cannot catch it
        return
    timer = threading.Timer(GRACE_S, _kill, args=(processes,))
    timer.daemon = True

    def handler(signum: int, frame: FrameType | None) -> None:
        if hit[0]:
            log.warning("interrupted again: killing the kernel")
            # Killed first, papermill's own cleanup finds the kernel gone and does not wait on it.
            _kill(processes)
            raise KeyboardInterrupt
        hit[0] = True
        log.warning("interrupted: stopping the notebook (Ctrl-C again to kill its kernel now)")
        _signal_group(processes, signal.SIGINT)
        timer.start()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield hit
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


def request_stop(stop_file: str | Path) -> None:
    """Ask every cell watching ``stop_file`` to stop (see the module's docstring)."""
    Path(stop_file).touch()


@contextlib.contextmanager
def _watch_stop(
    stop_file: str | None, processes: list[subprocess.Popen[bytes]], hit: list[bool]
) -> Iterator[None]:
    """Interrupt the kernel once ``stop_file`` exists, then kill it after :data:`GRACE_S`."""
    if stop_file is None:
        yield
        return
    done = threading.Event()
    timer = threading.Timer(GRACE_S, _kill, args=(processes,))
    timer.daemon = True

    def watch() -> None:
        while not done.wait(0.25):
            if hit[0]:
                return  # a Ctrl-C of its own stopped it already: a second one would kill it
            if os.path.exists(stop_file) and processes:
                hit[0] = True
                log.warning("the batch was interrupted: stopping the notebook")
                _signal_group(processes, signal.SIGINT)
                timer.start()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join(5)
        timer.cancel()


def stop_cells(futures: dict[concurrent.futures.Future[CellOutcome], str], stop: Path) -> None:
    """Ctrl-C with cells on an executor: the ones waiting never start, the running ones are
    asked to stop (a worker's thread never sees our SIGINT), and are given the time a kernel
    gets to stop its cell, so that their containers can be removed after them."""
    request_stop(stop)
    for future in futures:
        future.cancel()
    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: stop waiting
        concurrent.futures.wait(futures, timeout=GRACE_S + 15)


def _error(exc: BaseException) -> CellError:
    ename = getattr(exc, "ename", None)
    if ename is not None:  # papermill's PapermillExecutionError: the failing cell's exception
        return CellError(
            str(ename), str(getattr(exc, "evalue", "")), getattr(exc, "exec_count", None)
        )
    return CellError(type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc) else "")


def run_cell(spec: CellSpec) -> CellOutcome:
    """Execute one cell into ``spec.output``; never raises for the notebook's own failure."""
    import papermill

    started, clock = utc_now(), time.monotonic()
    if spec.stop_file is not None and os.path.exists(spec.stop_file):
        return CellOutcome("interrupted", None, started, utc_now(), 0.0)  # stopped before it ran
    Path(spec.tmp_root).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=Path(spec.output).stem[:40] + "-", dir=spec.tmp_root))
    env = {k: v for k, v in os.environ.items() if k not in spec.unset}
    env.update(dict(spec.env), TMPDIR=str(tmp))
    kernels: list[subprocess.Popen[bytes]] = []
    cwd = Path(spec.notebook).parent
    manager = _kernel_manager(env, str(cwd), tmp, kernels)
    error: CellError | None = None
    try:
        with (
            _forward_sigint(kernels) as interrupted,
            _watch_stop(spec.stop_file, kernels, interrupted),
        ):
            try:
                papermill.execute_notebook(
                    spec.notebook,
                    spec.output,
                    parameters=dict(spec.parameters),
                    kernel_name=KERNEL,
                    execution_timeout=spec.timeout_s,
                    progress_bar=spec.progress,
                    kernel_manager_class=manager,
                )
            except Exception as exc:  # the notebook's failure is the cell's result, not ours
                error = _error(exc)
        if Path(spec.output).exists():
            make_portable(Path(spec.output), cwd)
    finally:
        _kill(kernels)
        shutil.rmtree(tmp, ignore_errors=True)
    status: CellStatus = "interrupted" if interrupted[0] else "failed" if error else "ok"
    if status == "ok":
        gap = missing(read_summaries(Path(spec.output)))
        if gap is not None:
            status, error = "partial", CellError("partial", gap)
    return CellOutcome(status, error, started, utc_now(), round(time.monotonic() - clock, 3))
