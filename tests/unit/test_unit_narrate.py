"""kit.views.images: claims, stable facts and narration, generated only from hand-made results."""

from __future__ import annotations

import re
from typing import Any

import pytest
from results_factory import failed_row, image_row, results, trials

from kit.model.claims import Claim
from kit.model.results import Results
from kit.util.units import fmt_bytes, fmt_s
from kit.views.common import by_size, start_samples
from kit.views.images.text import claim_list, narrate
from kit.views.images.text import claims as claims_table
from kit.views.images.text import facts as stable_facts

BASE_CLAIM = "a lighter base gives a smaller image"
MULTI_CLAIM = "multi-stage gives a smaller image than single-stage"
START_CLAIM = "a smaller image starts faster"

# The bootstrap interval of these samples is known by hand (see test_unit_stats): the small
# image's starts are constant, and the big one's resampled median is 0.58, 0.60 or 0.62 s with
# P(0.58) = P(0.62) ≈ 5.8 % > 2.5 %, so the 95 % interval of the difference is +280 … +320 ms.
SMALL_STARTS = [0.9, 0.30, 0.30, 0.30, 0.30, 0.30]  # first is a warm-up
BIG_STARTS = [2.0, 0.60, 0.62, 0.58, 0.60, 0.60, None]  # warm-up, five ok, one failed


def rows(**sizes: Any) -> list[Any]:
    """full, slim and multistage rows (node-server-like), sizes overridable by variant name."""
    return [
        image_row(
            "full",
            size_bytes=sizes.get("full", 1_320_000_000),
            layers=8,
            base_image="kitbase/node:18-full",
            base_bytes=1_310_000_000,
            start_n=5,
            start_median_s=0.6,
            start_iqr_s=0.02,
            build_cold_s=95.0,
            build_warm_s=1.2,
        ),
        image_row(
            "slim",
            size_bytes=sizes.get("slim", 306_000_000),
            layers=6,
            base_image="kitbase/node:18-slim",
            base_bytes=300_000_000,
            start_n=5,
            start_median_s=0.45,
            start_iqr_s=0.03,
            build_cold_s=40.0,
            build_warm_s=0.9,
        ),
        image_row(
            "multistage",
            stages=3,
            size_bytes=sizes.get("multistage", 175_000_000),
            layers=5,
            base_image="kitbase/node:18-runtime",
            base_bytes=173_000_000,
            start_n=5,
            start_median_s=0.3,
            start_iqr_s=0.01,
            build_cold_s=35.5,
            build_warm_s=0.8,
        ),
    ]


def node_server(
    small: list[float | None] = SMALL_STARTS,
    big: list[float | None] = BIG_STARTS,
    **sizes: Any,
) -> Results:
    return results(
        [*rows(**sizes), failed_row("broken")],
        [*trials("multistage", small, warmups=1), *trials("full", big, warmups=1)],
    )


def by_claim(found: list[Claim]) -> dict[str, Claim]:
    return {c.claim: c for c in found}


# -- formatting ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "text"),
    [
        (None, "n/a"),
        (0, "0 B"),
        (999, "999 B"),
        (1_500, "1.5 kB"),
        (175_443_431, "175 MB"),
        (1_320_000_000, "1.32 GB"),
    ],
)
def test_fmt_bytes(n: float | None, text: str) -> None:
    assert fmt_bytes(n) == text


@pytest.mark.parametrize(
    ("s", "text"), [(None, "n/a"), (0.3, "300 ms"), (0.0004, "0 ms"), (35.5, "35.50 s")]
)
def test_fmt_s(s: float | None, text: str) -> None:
    assert fmt_s(s) == text


# -- ranking and samples ------------------------------------------------------------------------
def test_ranking_smallest_first_ignores_failed_rows() -> None:
    got = node_server()
    assert [r.variant for r in by_size(got)] == ["multistage", "slim", "full"]
    assert [r.variant for r in by_size(node_server(multistage=2_000_000_000))] == [
        "slim",
        "full",
        "multistage",
    ]


def test_start_samples_drop_warmups_and_failures() -> None:
    got = node_server()
    assert start_samples(got.trial_rows, "full") == [0.60, 0.62, 0.58, 0.60, 0.60]
    assert start_samples(got.trial_rows, "multistage") == [0.30, 0.30, 0.30, 0.30, 0.30]
    assert start_samples(got.trial_rows, "slim") == []


# -- claims -------------------------------------------------------------------------------------
def test_all_three_claims_hold() -> None:
    found = claim_list(node_server())
    assert [c.claim for c in found] == [BASE_CLAIM, MULTI_CLAIM, START_CLAIM]
    base, multi, start = found
    assert base == Claim(
        BASE_CLAIM,
        "slim on kitbase/node:18-slim (306 MB) vs full on kitbase/node:18-full (1.32 GB): "
        "4.31× smaller",
        "holds",
        True,
    )
    assert multi == Claim(
        MULTI_CLAIM,
        "best multi-stage multistage (175 MB) vs best single-stage slim (306 MB): 1.75×",
        "holds",
        True,
    )
    assert start == Claim(
        START_CLAIM,
        "full − multistage: +300.0 ms median start (95% CI +280.0 … +320.0 ms), "
        "images 7.5× apart in size",
        "holds",
        False,
    )


def test_multistage_claim_does_not_hold_when_multistage_is_bigger() -> None:
    found = by_claim(claim_list(node_server(multistage=408_000_000)))
    assert found[MULTI_CLAIM] == Claim(
        MULTI_CLAIM,
        "best multi-stage multistage (408 MB) vs best single-stage slim (306 MB): 0.75×",
        "does not hold",
        True,
    )


def test_multistage_claim_needs_both_kinds() -> None:
    only_single = results(rows()[:2])
    assert MULTI_CLAIM not in by_claim(claim_list(only_single))
    only_multi = results([image_row("a", stages=2), image_row("b", stages=3, size_bytes=5)])
    assert MULTI_CLAIM not in by_claim(claim_list(only_multi))


def test_base_claim_does_not_hold_when_the_light_base_gives_the_bigger_image() -> None:
    found = by_claim(claim_list(node_server(slim=2_000_000_000)))
    assert found[BASE_CLAIM].verdict == "does not hold"
    assert found[BASE_CLAIM].measured == (
        "slim on kitbase/node:18-slim (2 GB) vs full on kitbase/node:18-full (1.32 GB): "
        "0.66× smaller"
    )


def test_base_claim_needs_two_single_stage_bases() -> None:
    same_base = results(
        [
            image_row("a", size_bytes=10, base_image="kitbase/debian:12"),
            image_row("b", size_bytes=20, base_image="kitbase/debian:12"),
        ]
    )
    assert BASE_CLAIM not in by_claim(claim_list(same_base))
    unknown_base_size = results(
        [
            image_row("a", size_bytes=10, base_image="x:1", base_bytes=None),
            image_row("b", size_bytes=20, base_image="y:1"),
        ]
    )
    assert BASE_CLAIM not in by_claim(claim_list(unknown_base_size))


def test_start_claim_verdict_follows_the_samples() -> None:
    faster = by_claim(claim_list(node_server(big=[1.0, 0.10, 0.11, 0.09, 0.10, 0.10])))
    assert faster[START_CLAIM].verdict == "does not hold"
    assert faster[START_CLAIM].measured.startswith("full − multistage: -200.0 ms median start")

    noisy = [0.0, 0.2, 0.5, 0.3, 0.35, 0.25, 0.4]
    same = by_claim(claim_list(node_server(small=noisy, big=list(noisy))))
    assert same[START_CLAIM].verdict == "not shown (within noise)"
    assert same[START_CLAIM].measured.startswith("full − multistage: +0.0 ms median start")


def test_start_claim_not_tested_with_too_few_trials() -> None:
    found = by_claim(claim_list(node_server(big=[1.0, 0.6])))  # one warm-up, one sample
    assert found[START_CLAIM] == Claim(
        START_CLAIM, "too few trials to compare", "not tested", False
    )


def test_no_claims_for_a_single_variant() -> None:
    assert claim_list(results([image_row("only")])) == []
    assert claim_list(results([])) == []


def test_claims_table() -> None:
    table = claims_table(node_server())
    assert list(table.columns) == ["claim", "measured", "verdict", "stable"]
    assert table["verdict"].tolist() == ["holds", "holds", "holds"]
    assert table["stable"].tolist() == [True, True, False]
    assert claims_table(results([])).shape == (0, 4)


# -- stable facts and narration -----------------------------------------------------------------
def test_stable_facts_exact() -> None:
    assert stable_facts(node_server()) == (
        "variants: 3 ok, 1 failed\n"
        "size ranking (smallest first): multistage < slim < full\n"
        "layers: multistage=5, slim=6, full=8\n"
        f"claim: {BASE_CLAIM}: holds\n"
        f"claim: {MULTI_CLAIM}: holds"
    )


def test_stable_facts_do_not_depend_on_timings() -> None:
    fast = node_server(big=[1.0, 0.10, 0.11, 0.09, 0.10, 0.10])
    assert stable_facts(fast) == stable_facts(node_server())
    assert stable_facts(node_server(multistage=408_000_000)).endswith(
        f"claim: {MULTI_CLAIM}: does not hold"
    )


def test_narrate_paragraphs() -> None:
    parts = narrate(node_server()).split("\n\n")
    assert parts[0] == (
        "Run `20261127T230000Z-abc123`: profile **local** (asked: auto), engine 20.10.24+dfsg1 "
        "with the overlay2 storage driver."
    )
    assert parts[1] == "Failed: **broken** (BuildError: build failed: RUN exit 3)."
    assert parts[2] == (
        "**multistage** is the smallest image at 175 MB, **7.5× smaller** than **full** "
        "(1.32 GB). Ranking: multistage (175 MB, 5 layers) < slim (306 MB, 6 layers) < "
        "full (1.32 GB, 8 layers)."
    )
    assert parts[3].startswith("*A lighter base gives a smaller image*: **holds** — slim on")
    assert parts[4].startswith("*Multi-stage gives a smaller image than single-stage*: **holds**")
    assert parts[5].startswith("*A smaller image starts faster*: **holds** — full − multistage")
    assert parts[6] == (
        "Median start to ready: multistage 300 ms (IQR 10 ms, n=5), "
        "slim 450 ms (IQR 30 ms, n=5), full 600 ms (IQR 20 ms, n=5)."
    )
    assert parts[7] == (
        "Builds (one each, so read them as indications, not statistics): "
        "multistage 35.50 s cold / 800 ms warm, slim 40.00 s cold / 900 ms warm, "
        "full 95.00 s cold / 1.20 s warm."
    )
    assert len(parts) == 8


def test_narrate_containerd_store_warning() -> None:
    plain = narrate(results([image_row("only")]))
    warned = narrate(results([image_row("only")], containerd_store=True))
    assert "containerd image store" not in plain
    assert "(containerd image store: sizes are not comparable with the classic store)." in warned


def test_narrate_single_and_no_variant() -> None:
    single = narrate(results([image_row("only", size_bytes=2_000_000)]))
    assert "Only **only** was measured: 2 MB." in single
    empty = narrate(results([failed_row("broken")]))
    assert empty.split("\n\n")[1:] == ["Failed: **broken** (BuildError: build failed: RUN exit 3)."]


@pytest.mark.parametrize(
    ("change", "before", "after"),
    [
        ({"slim": 255_000_000}, "slim (306 MB, 6 layers)", "slim (255 MB, 6 layers)"),
        ({"full": 1_750_000_000}, "**7.5× smaller** than **full** (1.32 GB)", "**10.0× smaller"),
        ({"multistage": 150_000_000}, "smallest image at 175 MB", "smallest image at 150 MB"),
    ],
)
def test_narration_numbers_follow_the_sizes(
    change: dict[str, int], before: str, after: str
) -> None:
    original, changed = narrate(node_server()), narrate(node_server(**change))
    assert before in original
    assert before not in changed
    assert after in changed


def test_narration_numbers_follow_run_and_timings() -> None:
    changed = results(
        [
            image_row("a", size_bytes=5_000, layers=2, start_n=7, start_median_s=0.123),
            image_row("b", size_bytes=9_000, layers=4, build_cold_s=3.25, build_warm_s=0.05),
        ],
        engine_version="99.1.0",
        storage_driver="vfs",
        profile="hub",
        requested_profile="hub",
        run_id="RUN-XYZ",
    )
    text = narrate(changed)
    for fragment in (
        "Run `RUN-XYZ`: profile **hub** (asked: hub), engine 99.1.0 with the vfs storage driver.",
        "**a** is the smallest image at 5 kB, **1.8× smaller** than **b** (9 kB)",
        "a (5 kB, 2 layers) < b (9 kB, 4 layers)",
        "a 123 ms (IQR n/a, n=7), b n/a (IQR n/a, n=0)",
        "b 3.25 s cold / 50 ms warm",
    ):
        assert fragment in text


def test_every_number_in_the_narration_comes_from_the_inputs() -> None:
    """The numbers the narration prints are exactly these, each worked out from the inputs."""
    text = narrate(node_server())
    expected = {
        # run id 20261127T230000Z-abc123, engine 20.10.24+dfsg1, "overlay2", "RUN exit 3"
        "20261127",
        "230000",
        "123",
        "20.10",
        "24",
        "1",
        "2",
        "3",
        # sizes 175 MB, 306 MB, 1.32 GB; the bases' tag kitbase/node:18-…; layers 5, 6, 8
        "175",
        "306",
        "1.32",
        "18",
        "5",
        "6",
        "8",
        # ratios: full / multistage, full / slim (base claim), slim / multistage (multi-stage)
        f"{1_320_000_000 / 175_000_000:.1f}",  # 7.5
        f"{1_320_000_000 / 306_000_000:.2f}",  # 4.31
        f"{306_000_000 / 175_000_000:.2f}",  # 1.75
        # start claim: 0.60 − 0.30 s, its 95 % interval (known by hand, see SMALL_STARTS)
        "300.0",
        "95",
        "280.0",
        "320.0",
        # start medians, IQRs (n=5 is above); builds cold / warm
        "300",
        "450",
        "600",
        "10",
        "30",
        "20",
        "35.50",
        "800",
        "40.00",
        "900",
        "95.00",
        "1.20",
    }
    assert set(re.findall(r"\d+(?:\.\d+)?", text)) == expected
