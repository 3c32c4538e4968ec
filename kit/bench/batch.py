"""``kit bench --what batch``: a whole batch cold, then the same batch again at once.

Both runs go to a fresh store of their own (never the user's), one after the other, so the
second finds every measurement of the first: what is left is papermill, the kernels, the cache
keys (hashing each build context) and the plots. The wall-time ratio is the claim "reruns are
nearly free"; the rerun's rows say how many variants were reused and how many measured again.
One cold run takes many minutes, so there is one round: its ratio is a single sample.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kit.model.store import Store
from kit.runs.batch import run_batch

TARGET = 0.05


@dataclass(frozen=True)
class BatchBench:
    matrix: str
    cells: int
    cold_s: float
    rerun_s: float
    cold_failed: int
    rerun_failed: int
    reused: int  # variant rows the rerun took from the cold run
    remeasured: int  # variant rows the rerun measured again (0 when the cache works)

    @property
    def ratio(self) -> float:
        return self.rerun_s / self.cold_s

    def report(self) -> str:
        verdict = "met" if self.ratio <= TARGET else "NOT met"
        return "\n".join(
            [
                f"batch bench on {self.matrix}: {self.cells} notebook cells, cold then rerun",
                f"  cold:  {self.cold_s:8.1f} s  ({self.cold_failed} cell(s) failed)",
                f"  rerun: {self.rerun_s:8.1f} s  ({self.rerun_failed} cell(s) failed; "
                f"{self.reused} variant(s) reused, {self.remeasured} measured again)",
                f"  ratio rerun / cold: {self.ratio:.3f} (target ≤ {TARGET:.2f}: {verdict}; "
                "one sample)",
            ]
        )


def batch_bench(matrix: str | Path = "notebooks/default.yml") -> BatchBench:
    with tempfile.TemporaryDirectory(prefix="kit-bench-batch-") as tmp:
        store, runs = Path(tmp) / "store", Path(tmp) / "runs"
        started = time.perf_counter()
        cold = run_batch(matrix, run_id="cold", runs_dir=runs, store=store, quiet=True)
        cold_s = time.perf_counter() - started
        started = time.perf_counter()
        rerun = run_batch(matrix, run_id="rerun", runs_dir=runs, store=store, quiet=True)
        rerun_s = time.perf_counter() - started
        images = Store(store).table("images")
        again = images[(images["batch_id"] == "rerun") & (images["status"] == "ok")]
        reused = int(again["cached_from"].notna().sum())
    return BatchBench(
        str(matrix),
        len(cold.cells),
        cold_s,
        rerun_s,
        len(cold.failed),
        len(rerun.failed),
        reused,
        len(again) - reused,
    )
