"""One benchmarked process: run it, sample its peak memory, read what it measured of itself.

Peak memory is each process's own ``VmHWM`` from ``/proc``: rusage's ``ru_maxrss`` is no use
here, because Linux carries the forking parent's high-water mark into a child across ``exec``
(this parent holds ~140 MB of imports, and dive would "peak" there too).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kit.errors import ToolError


@dataclass(frozen=True)
class Run:
    kind: str
    wall_s: float  # the whole process (or processes), start-up included
    inner_s: float | None  # the kit's own analysis calls alone (None for dive)
    peak_rss_mb: float
    start_rss_mb: float | None  # the kit's child after its imports, before analysing


def hwm_kb(pid: int | str) -> int:
    """The process's peak resident memory so far (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def spawn(kind: str, argv: list[str], cwd: str, *, kit: bool) -> Run:
    """Run ``argv`` to its end; a kit child prints its own figures as its last line (JSON)."""
    env = {**os.environ, "CI": "true"}
    peak = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        # VmHWM only rises, so sampling it often loses at most the last interval's growth.
        while child.poll() is None:
            peak = max(peak, hwm_kb(child.pid))
            time.sleep(0.01)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if child.returncode != 0:
        tail = stderr[-2000:].splitlines()
        raise ToolError(f"{kind} failed with exit code {child.returncode}", log_tail=tail)
    inner = start = None
    if kit:
        measured = json.loads(stdout.strip().splitlines()[-1])
        inner, start = float(measured["seconds"]), measured["start_hwm_kb"] / 1024
        peak = max(peak, int(measured["end_hwm_kb"]))  # exact: read by the child at its end
    return Run(kind, wall, inner, peak / 1024, start)


def total(kind: str, runs: list[Run]) -> Run:
    """Several processes run one after the other, as one: walls added, the highest peak."""
    return Run(
        kind,
        sum(r.wall_s for r in runs),
        None if any(r.inner_s is None for r in runs) else sum(r.inner_s or 0.0 for r in runs),
        max(r.peak_rss_mb for r in runs),
        max((r.start_rss_mb or 0.0 for r in runs), default=None),
    )
