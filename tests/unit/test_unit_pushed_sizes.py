"""A run that pushed its images reports the sizes the registry recorded, not the kit's estimate."""

from __future__ import annotations

from kit.model.rows import ImageResult, LayerRow
from kit.pipeline.payoffrows import with_pushed_sizes
from kit.pipeline.variant import VariantOutcome

A, B, C = ("sha256:" + c * 64 for c in "abc")
IMAGE = "sha256:" + "1" * 64


def _layer(variant: str, index: int, diff_id: str, estimate: int) -> LayerRow:
    return LayerRow(
        index, "RUN x", diff_id, 2048, 1000, estimate, 1, 0, 0, 1000, app="a", variant=variant
    )


def _row(variant: str, compressed: int) -> ImageResult:
    return ImageResult(
        "a", variant, "", "ok", None, None, "Dockerfile", None, 1,
        image_id=IMAGE if variant == "one" else "sha256:" + "2" * 64,
        compressed_bytes=compressed,
    )  # fmt: skip


def test_pushed_sizes_replace_the_estimates() -> None:
    one = VariantOutcome(
        _row("one", 350), layers=(_layer("one", 0, A, 100), _layer("one", 1, B, 200))
    )
    two = VariantOutcome(
        _row("two", 330), layers=(_layer("two", 0, A, 100), _layer("two", 1, C, 180))
    )
    sizes = {A: 101, B: 205, IMAGE: 52}  # "two" was not pushed: C and its config are unknown
    outcomes, rows = with_pushed_sizes([one, two], [one.row, two.row], sizes)
    assert [x.compressed_bytes for x in outcomes[0].layers] == [101, 205]
    assert [x.compressed_bytes for x in outcomes[1].layers] == [101, 180]
    assert [r.compressed_bytes for r in rows] == [101 + 205 + 52, 330]


def test_nothing_pushed_changes_nothing() -> None:
    one = VariantOutcome(_row("one", 350), layers=(_layer("one", 0, A, 100),))
    assert with_pushed_sizes([one], [one.row], {}) == ([one], [one.row])
