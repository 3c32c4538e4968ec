"""What every view shares: variants in size order, start samples, and Markdown that renders in
Jupyter without an IPython import."""

from __future__ import annotations

from kit.model.results import Results
from kit.model.rows import ImageResult, TrialResult


class Markdown(str):
    """Text in Markdown: a ``str`` (print it, compare it) that Jupyter renders as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


def by_size(results: Results) -> list[ImageResult]:
    """The measured variants, smallest image first."""
    return sorted(
        (r for r in results.ok if r.size_bytes is not None), key=lambda r: r.size_bytes or 0
    )


def start_samples(trials: tuple[TrialResult, ...], variant: str) -> list[float]:
    """One variant's timed starts (warm-ups and failed trials left out)."""
    return [
        t.total_s
        for t in trials
        if t.variant == variant and not t.warmup and t.status == "ok" and t.total_s is not None
    ]
