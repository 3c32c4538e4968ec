"""``make bench``: the kit's per-trial start cost against a bare ``docker run`` loop.

Both are measured in one run, interleaved (kit, CLI, kit, CLI, …) so that drift on the machine
hits both alike. Raw samples are kept; the report gives medians, spread and their ratio. This is
a benchmark, not a test: nothing asserts on its numbers.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass

from kit.engine import RUN_LABEL, Engine
from kit.errors import ImageGoneError, ToolError
from kit.inputs.experiment import DEFAULT_LIMITS, Probe
from kit.measure.start import run_trial
from kit.pipeline.envelope import new_run_id
from kit.util.stats import summarize


@dataclass(frozen=True)
class StartBench:
    image: str
    kit_s: tuple[float, ...]
    cli_s: tuple[float, ...]

    def report(self) -> str:
        kit, cli = summarize(self.kit_s), summarize(self.cli_s)
        assert kit.median is not None and cli.median is not None
        return "\n".join(
            [
                f"start bench on {self.image}: {len(self.kit_s)} interleaved rounds",
                f"  kit trial (create+start+wait+remove): median {kit.median * 1000:7.1f} ms"
                f"  IQR {kit.iqr or 0:.4f} s",
                f"  docker run --rm --network none:       median {cli.median * 1000:7.1f} ms"
                f"  IQR {cli.iqr or 0:.4f} s",
                f"  ratio kit / docker run (medians): {kit.median / cli.median:.3f}× "
                "(target ≤ 1.05×)",
            ]
        )


def start_bench(image: str = "kitbase/busybox:1", rounds: int = 30) -> StartBench:
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise ToolError("the bench compares against the docker CLI, which is not installed")
    engine = Engine.connect()
    if engine.images.inspect(image) is None:
        raise ImageGoneError(f"bench image {image} is missing", hint="run `kit bases` first")
    probe = Probe(kind="exit", timeout_s=30)
    labels = {RUN_LABEL: new_run_id()}
    kit_s: list[float] = []
    cli_s: list[float] = []
    for index in range(rounds + 1):  # round 0 warms both paths up and is discarded
        t0 = time.perf_counter()
        run_trial(
            engine,
            image,
            probe,
            labels,
            trial=index,
            warmup=index == 0,
            track=lambda _c: None,
            untrack=lambda _c: None,
        )
        t1 = time.perf_counter()
        subprocess.run(
            # The same isolation and limits as the kit's trial, so both do the same work.
            [
                docker_cli,
                "run",
                "--rm",
                "--network",
                "none",
                "--memory",
                f"{DEFAULT_LIMITS.memory_mb}m",
                "--memory-swap",
                f"{DEFAULT_LIMITS.memory_mb}m",
                "--pids-limit",
                str(DEFAULT_LIMITS.pids),
                image,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        t2 = time.perf_counter()
        if index:
            kit_s.append(t1 - t0)
            cli_s.append(t2 - t1)
    engine.close()
    return StartBench(image, tuple(kit_s), tuple(cli_s))
