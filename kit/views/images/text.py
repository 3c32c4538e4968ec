"""The images of one run — size, layers, builds, starts — as a table, narration, claims and
stable facts, generated from the measured numbers.

Nothing here is hard-coded about an app: the claims are the seed's general advice, checked on
whatever variants the run measured. ``stable`` marks verdicts that do not depend on timing noise
(sizes, layer counts); only those are fit for a regression check.
"""

from __future__ import annotations

import pandas as pd

from kit.model.claims import Claim, Verdict
from kit.model.failures import VARIANT_STEPS, Failure, cause_of
from kit.model.results import Results
from kit.model.rows import ImageResult
from kit.util.stats import compare
from kit.util.units import MB, fmt_bytes, fmt_s, sentence
from kit.views.common import Markdown, by_size, start_samples
from kit.views.verdicts import claim_frame, evaluate, ranking

#: Metrics a step of its own measures, so a failure of that step explains their absence.
METRIC_STEPS = {"x_floor": "floor"}


def _ratio(big: ImageResult, small: ImageResult) -> float:
    return (big.size_bytes or 0) / (small.size_bytes or 1)


def _base_claim(ranked: list[ImageResult]) -> Claim | None:
    single = [r for r in ranked if r.stages == 1 and r.base_bytes is not None]
    bases = {r.base_image for r in single}
    if len(bases) < 2:
        return None
    lightest = min(single, key=lambda r: r.base_bytes or 0)
    heaviest = max(single, key=lambda r: r.base_bytes or 0)
    holds = (lightest.size_bytes or 0) < (heaviest.size_bytes or 0)
    return Claim(
        "a lighter base gives a smaller image",
        f"{lightest.variant} on {lightest.base_image} ({fmt_bytes(lightest.size_bytes)}) vs "
        f"{heaviest.variant} on {heaviest.base_image} ({fmt_bytes(heaviest.size_bytes)}): "
        f"{_ratio(heaviest, lightest):.2f}× smaller",
        "holds" if holds else "does not hold",
        True,
    )


def _multistage_claim(ranked: list[ImageResult]) -> Claim | None:
    multi = [r for r in ranked if (r.stages or 0) > 1]
    single = [r for r in ranked if r.stages == 1]
    if not multi or not single:
        return None
    best_multi, best_single = multi[0], single[0]
    holds = (best_multi.size_bytes or 0) < (best_single.size_bytes or 0)
    return Claim(
        "multi-stage gives a smaller image than single-stage",
        f"best multi-stage {best_multi.variant} ({fmt_bytes(best_multi.size_bytes)}) vs best "
        f"single-stage {best_single.variant} ({fmt_bytes(best_single.size_bytes)}): "
        f"{_ratio(best_single, best_multi):.2f}×",
        "holds" if holds else "does not hold",
        True,
    )


def _start_claim(results: Results, ranked: list[ImageResult]) -> Claim | None:
    if len(ranked) < 2:
        return None
    small, big = ranked[0], ranked[-1]
    cmp = compare(
        start_samples(results.trial_rows, small.variant),
        start_samples(results.trial_rows, big.variant),
    )
    if cmp is None:
        return Claim(
            "a smaller image starts faster", "too few trials to compare", "not tested", False
        )
    # compare(a=small, b=big): "b slower" means the bigger image started slower, as claimed.
    verdicts: dict[str, Verdict] = {
        "b slower": "holds",
        "b faster": "does not hold",
        "within noise": "not shown (within noise)",
    }
    verdict = verdicts[cmp.verdict]
    return Claim(
        "a smaller image starts faster",
        f"{big.variant} − {small.variant}: {cmp.difference * 1000:+.1f} ms median start "
        f"(95% CI {cmp.ci_low * 1000:+.1f} … {cmp.ci_high * 1000:+.1f} ms), "
        f"images {_ratio(big, small):.1f}× apart in size",
        verdict,
        False,
    )


def _why(results: Results, metric: str) -> dict[str, Failure]:
    """Per variant, the failure that left ``metric`` out: its build, or the step measuring it."""
    failures = results.failures
    why = {f.variant: f for f in failures if f.step in VARIANT_STEPS and f.variant}
    step = METRIC_STEPS.get(metric)
    found = cause_of(failures, [step]) if step else None
    if found is not None:
        why |= {r.variant: found for r in results.ok if r.variant not in why}
    return why


def claim_list(results: Results) -> list[Claim]:
    ranked = by_size(results)
    found = [_base_claim(ranked), _multistage_claim(ranked), _start_claim(results, ranked)]
    measured = {r.variant: r for r in results.ok}
    for declared in results.claims:
        values = {name: getattr(row, declared.metric, None) for name, row in measured.items()}
        found.append(evaluate(declared, values, _why(results, declared.metric)))
    return [c for c in found if c is not None]


def claims(results: Results) -> pd.DataFrame:
    """Each claim with what this run measured and its verdict."""
    return claim_frame(claim_list(results))


def facts(results: Results) -> str:
    """Facts that a rerun on the same engine and bases reproduces: fit for nbval to compare."""
    ranked = by_size(results)
    lines = [
        f"variants: {len(results.ok)} ok, {len(results.failed)} failed",
        # Within 1 % is a tie (≈): two variants that near could swap places from run to run.
        "size ranking (smallest first): "
        + ranking({r.variant: float(r.size_bytes or 0) for r in ranked}),
        "layers: " + ", ".join(f"{r.variant}={r.layers}" for r in ranked),
    ]
    lines += [f"claim: {c.claim}: {c.verdict}" for c in claim_list(results) if c.stable]
    return "\n".join(lines)


def narrate(results: Results) -> Markdown:
    """A Markdown paragraph per finding, every number taken from ``results``."""
    run = results.run
    ranked = by_size(results)
    parts = [
        f"Run `{run.run_id}`: profile **{run.profile}** (asked: {run.requested_profile}), engine "
        f"{run.engine_version} with the {run.storage_driver} storage driver"
        + (
            " (containerd image store: sizes are not comparable with the classic store)"
            if run.containerd_store
            else ""
        )
        + "."
    ]
    if results.failed:
        parts.append(
            "Failed: "
            + "; ".join(f"**{r.variant}** ({r.error_type}: {r.error})" for r in results.failed)
            + "."
        )
    if len(ranked) >= 2:
        best, worst = ranked[0], ranked[-1]
        parts.append(
            f"**{best.variant}** is the smallest image at {fmt_bytes(best.size_bytes)}, "
            f"**{_ratio(worst, best):.1f}× smaller** than **{worst.variant}** "
            f"({fmt_bytes(worst.size_bytes)}). Ranking: "
            + " < ".join(
                f"{r.variant} ({fmt_bytes(r.size_bytes)}, {r.layers} layers)" for r in ranked
            )
            + "."
        )
    elif ranked:
        parts.append(
            f"Only **{ranked[0].variant}** was measured: {fmt_bytes(ranked[0].size_bytes)}."
        )
    for claim in claim_list(results):
        parts.append(f"*{sentence(claim.claim)}*: **{claim.verdict}** — {claim.measured}.")
    if ranked:
        starts = ", ".join(
            f"{r.variant} {fmt_s(r.start_median_s)} (IQR {fmt_s(r.start_iqr_s)}, n={r.start_n})"
            for r in ranked
        )
        parts.append(f"Median start to ready: {starts}.")
        builds = ", ".join(
            f"{r.variant} {fmt_s(r.build_cold_s)} cold / {fmt_s(r.build_warm_s)} warm"
            for r in ranked
        )
        parts.append(f"Builds (one each, so read them as indications, not statistics): {builds}.")
    return Markdown("\n\n".join(parts))


def table(results: Results) -> pd.DataFrame:
    """One readable row per variant, smallest image first, failed variants last."""
    rows = []
    for r in by_size(results) + list(results.failed):
        rows.append(
            {
                "variant": r.variant,
                "status": r.status,
                "size_MB": None if r.size_bytes is None else round(r.size_bytes / MB, 1),
                "layers": r.layers,
                "stages": r.stages,
                "release base": r.base_image,
                "build cold (s)": None if r.build_cold_s is None else round(r.build_cold_s, 2),
                "build warm (s)": None if r.build_warm_s is None else round(r.build_warm_s, 2),
                "start median (ms)": None
                if r.start_median_s is None
                else round(r.start_median_s * 1000, 1),
                "start IQR (ms)": None if r.start_iqr_s is None else round(r.start_iqr_s * 1000, 1),
                "n": r.start_n,
                "error": r.error,
            }
        )
    return pd.DataFrame(rows)
