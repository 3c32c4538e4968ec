"""The layer bench's table from given runs: every line kept, ratios against the right dive."""

from __future__ import annotations

from kit.bench.layers import KINDS, LayerBench
from kit.bench.spawn import Run, total


def _runs(kind: str, *walls: float) -> list[Run]:
    kit = kind.startswith("kit")
    return [Run(kind, w, w - 0.5 if kit else None, 60.0 + w, 30.0 if kit else None) for w in walls]


def test_report_holds_every_case_with_its_ratio() -> None:
    runs = (
        _runs("kit", 8, 9, 10)
        + _runs("kit_analysis_only", 4, 4, 4)
        + _runs("kit_save_stream", 12, 12, 12)
        + _runs("kit_warm", 1, 1, 1)
        + _runs("dive", 10, 10, 10)
        + _runs("kit_sibling", 1, 1, 1)
        + _runs("dive_sibling", 20, 20, 20)
        + _runs("kit_app", 30, 30, 30)
        + _runs("dive_app", 15, 15, 15)
    )
    bench = LayerBench("base", tuple(runs), "base-child", ("a", "b"), ("a note",), (1.0, 2.0))
    text = bench.report()
    lines = text.splitlines()
    for kind in (*KINDS, "kit_sibling", "dive_sibling", "kit_app", "dive_app"):
        assert any(line.strip().startswith(kind + " ") for line in lines), kind
    assert bench.ratio("kit") == 0.9
    assert bench.ratio("kit_sibling") == 0.05  # against dive on the sibling, not on the base
    assert bench.ratio("kit_app") == 2.0
    kit_line = next(line for line in lines if line.strip().startswith("kit "))
    assert "ratio to dive 0.90 (target ≤ 0.5: NOT met)" in kit_line
    assert "peak RSS 70 MB" in kit_line
    assert "ratio to dive 0.05 (target ≤ 0.1: met)" in text
    assert "load average 1.0 before, 2.0 after" in text and "note: a note" in text


def test_a_whole_app_is_the_sum_of_its_processes() -> None:
    whole = total("dive_app", _runs("dive_app", 1, 2, 3.5))
    assert (whole.wall_s, whole.peak_rss_mb, whole.inner_s) == (6.5, 63.5, None)
