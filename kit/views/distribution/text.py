"""Views of distribution: push and pull through a registry, rebuilds after an edit, images per
host. Tables, narration, claims and stable facts, every number taken from a run's results.

Timing claims are judged against their spread — push/pull time against compressed size by the
fitted slope's 95 % interval, rebuilds by the bootstrap interval of the difference of medians —
so none of them is ``stable``. What a rerun reproduces (rankings, steps re-run after an edit,
which pushes reuse a sibling's layers) is in :func:`distribution_facts`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from kit.model.claims import Claim, Verdict
from kit.model.failures import VARIANT_STEPS, Failure, cause_of
from kit.model.results import Results
from kit.util.stats import compare, trend_verdict
from kit.util.units import MB, fmt_bytes, fmt_s, sentence
from kit.views.common import Markdown
from kit.views.distribution.fresh import fresh_claims, fresh_facts, fresh_story, has_fresh
from kit.views.distribution.hosts import capacity_story, fill_story
from kit.views.distribution.samples import (
    FRESH,
    by_compressed,
    fit_text,
    median,
    problems,
    rebuild_median,
    rebuild_samples,
    samples,
    steps_range,
    steps_rebuilt,
    transfer_fit,
)
from kit.views.verdicts import TOLERANCE, claim_frame, failed, ranking

#: The pair of variants that differ only in step order: ``slim`` copies the dependency
#: manifests, installs, then copies the sources; ``copy-first`` copies everything first.
ORDERED, UNORDERED = "slim", "copy-first"
PUSH_CLAIM = "smaller images push faster"
PULL_CLAIM = "smaller images pull faster"
REBUILD_CLAIM = "copying sources after installing dependencies makes rebuilds faster"
STEPS_CLAIM = "copying sources after installing dependencies re-runs fewer steps on an edit"
_VERDICT: dict[str, Verdict] = {
    "b slower": "holds",
    "b faster": "does not hold",
    "within noise": "not shown (within noise)",
}


def _mb(value: float | None) -> float | None:
    return None if value is None else round(value / MB, 1)


def _s(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def table(results: Results) -> pd.DataFrame:
    """Per variant, smallest compressed first (failed last): cold push and pull medians, the
    bytes they moved cold and warm, the rebuild after an edit, and why anything is missing."""
    ranked = by_compressed(results)
    rows = []
    for r in ranked + [r for r in results.image_rows if r not in ranked]:
        v = r.variant
        rows.append(
            {
                "variant": v,
                "status": r.status,
                "compressed_MB": _mb(r.compressed_bytes),
                "push cold (s)": _s(median(results, v, "cold", "push_s")),
                "pull cold (s)": _s(median(results, v, "cold", "pull_s")),
                "pushed cold (MB)": _mb(median(results, v, "cold", "pushed_bytes")),
                "pushed warm (MB)": _mb(median(results, v, "warm", "pushed_bytes")),
                "pulled cold (MB)": _mb(median(results, v, "cold", "pulled_bytes")),
                "pull fresh (s)": _s(median(results, v, "cold", "pull_s", FRESH)),
                "pulled fresh (MB)": _mb(median(results, v, "cold", "pulled_bytes", FRESH)),
                "deploy fresh (s)": _s(median(results, v, "cold", "deploy_s", FRESH)),
                "deploy cold (s)": _s(median(results, v, "cold", "deploy_s")),
                "n cold": len(samples(results, v, "cold", "push_s")),
                "n warm": len(samples(results, v, "warm", "push_s")),
                "n fresh": len(samples(results, v, "cold", "pull_s", FRESH)),
                "rebuild (s)": _s(rebuild_median(results, v)),
                "steps rebuilt": steps_rebuilt(results, v),
                "not measured": problems(results, v) or None,
            }
        )
    frame = pd.DataFrame(rows)
    if not has_fresh(results):
        frame = frame.drop(columns=[c for c in frame.columns if "fresh" in c or "deploy" in c])
    return frame


def _trend_claim(results: Results, field: str, text: str) -> Claim:
    fit, reason = transfer_fit(results, field)
    if fit is None:
        broke = cause_of(results.failures, ["push and pull"])
        return failed(text, broke) if broke else Claim(text, reason, "not tested", False)
    return Claim(text, fit_text(fit), trend_verdict(fit), False)


def _rebuild_gap(results: Results) -> str | Failure | None:
    """Why the step-order pair cannot be compared on this run — the parameters' choice, or the
    failure that broke it — or None when it can."""
    for name in (ORDERED, UNORDERED):
        image = next((r for r in results.image_rows if r.variant == name), None)
        mine = [r for r in results.rebuild_rows if r.variant == name]
        if image is None:
            return f"the app has no `{name}` variant"
        broke = cause_of(results.failures, [*VARIANT_STEPS, "rebuild"], [name])
        if image.status != "ok" or (mine and not rebuild_samples(results, name)):
            return broke or f"`{name}` failed: {image.error or mine[0].error}"
        if not mine:
            return f"no rebuild trials of `{name}` on this run"
    return None


def _rebuild_claims(results: Results) -> list[Claim]:
    gap = _rebuild_gap(results)
    if isinstance(gap, Failure):
        return [failed(REBUILD_CLAIM, gap), failed(STEPS_CLAIM, gap)]
    if gap is not None:
        return [
            Claim(REBUILD_CLAIM, gap, "not measured", False),
            Claim(STEPS_CLAIM, gap, "not measured", True),
        ]
    ordered, unordered = steps_range(results, ORDERED), steps_range(results, UNORDERED)
    steps = ", ".join(f"{v} {steps_rebuilt(results, v)}" for v in (UNORDERED, ORDERED))
    steps = f"steps re-run: {steps}"
    # Fewer in every trial: the most the ordered one re-ran is below the least of the other.
    fewer = ordered is not None and unordered is not None and ordered[1] < unordered[0]
    found = [Claim(STEPS_CLAIM, steps, "holds" if fewer else "does not hold", True)]
    # compare(a=ordered, b=unordered): "b slower" means copying everything first rebuilt slower.
    cmp = compare(rebuild_samples(results, ORDERED), rebuild_samples(results, UNORDERED))
    if cmp is None:
        return [
            Claim(
                REBUILD_CLAIM, f"too few rebuild trials to compare; {steps}", "not tested", False
            ),
            *found,
        ]
    delta = (
        f"{cmp.difference:+.2f} s median rebuild (95% CI {cmp.ci_low:+.2f} … {cmp.ci_high:+.2f} s)"
    )
    measured = f"{UNORDERED} − {ORDERED}: {delta}; {steps}"
    return [Claim(REBUILD_CLAIM, measured, _VERDICT[cmp.verdict], False), *found]


def claim_list(results: Results) -> list[Claim]:
    return [
        _trend_claim(results, "push_s", PUSH_CLAIM),
        _trend_claim(results, "pull_s", PULL_CLAIM),
        *fresh_claims(results),
        *_rebuild_claims(results),
    ]


def claims(results: Results) -> pd.DataFrame:
    """Each claim with what this run measured and its verdict."""
    return claim_frame(claim_list(results))


def _warm_fact(results: Results, variant: str) -> str:
    warm = [d.status for d in results.distribution_rows if (d.variant, d.mode) == (variant, "warm")]
    if not warm or set(warm) != {"ok"}:
        return next((s for s in warm if s != "ok"), "not measured")
    cold, hot = (median(results, variant, mode, "pushed_bytes") for mode in ("cold", "warm"))
    if cold is None or hot is None:
        return "not measured"
    return "fewer bytes than cold" if hot < cold * (1 - TOLERANCE) else "as many bytes as cold"


def facts(results: Results) -> str:
    """Facts that a rerun on the same engine and bases reproduces: no timing, no byte count."""
    sizes = {r.variant: float(r.compressed_bytes or 0) for r in by_compressed(results)}
    lines = [
        f"variants: {len(results.ok)} ok, {len(results.failed)} failed",
        f"compressed size ranking (smallest first): {ranking(sizes)}",
    ]
    if pushed := sorted({d.variant for d in results.distribution_rows}):
        warm = ", ".join(f"{v} {_warm_fact(results, v)}" for v in pushed)
        lines.append(f"warm push (a sibling's layers already in the registry): {warm}")
    lines += fresh_facts(results)
    if rebuilt := sorted({r.variant for r in results.rebuild_rows}):
        steps = ", ".join(f"{v}={steps_rebuilt(results, v) or 'failed'}" for v in rebuilt)
        lines.append(f"steps re-run after a one-line source edit: {steps}")
    if rows := results.capacity_rows:
        fits = {c.variant: math.inf if c.fit_shared is None else c.fit_shared for c in rows}
        lines.append(
            f"most different images in {fmt_bytes(rows[0].capacity_bytes)}, layers shared: "
            + ranking(fits, descending=True)
        )
        together, separate = rows[0].app_together_bytes, rows[0].app_separate_bytes
        if together is not None:
            saves = "yes" if together < separate * (1 - TOLERANCE) else "no"
            lines.append(f"the app's variants take less space sharing layers: {saves}")
    lines += [f"claim: {c.claim}: {c.verdict}" for c in claim_list(results) if c.stable]
    return "\n".join(lines)


def _each(values: Mapping[str, str]) -> str:
    return ", ".join(f"{name} {text}" for name, text in values.items())


def _bytes(results: Results, variant: str, mode: str, field: str) -> str:
    return fmt_bytes(median(results, variant, mode, field))


def _transfer_story(results: Results) -> list[str]:
    ranked = [
        r.variant for r in by_compressed(results) if samples(results, r.variant, "cold", "push_s")
    ]
    if not ranked:
        return ["No push or pull was measured on this run."]
    parts = []
    for field, verb in (("push_s", "push"), ("pull_s", "pull")):
        times = _each({v: fmt_s(median(results, v, "cold", field)) for v in ranked})
        fit, reason = transfer_fit(results, field)
        trend = fit_text(fit) if fit else f"no fit ({reason})"
        parts.append(
            f"Median cold {verb}, smallest compressed image first: {times}. "
            f"Fitted over every cold sample: {trend}."
        )
    warm = [v for v in ranked if samples(results, v, "warm", "pushed_bytes")]
    if warm:
        sent = {
            v: f"{_bytes(results, v, 'warm', 'pushed_bytes')} instead of "
            f"{_bytes(results, v, 'cold', 'pushed_bytes')}"
            for v in warm
        }
        parts.append(
            f"With a sibling's layers already in the registry (warm), a push sent {_each(sent)}: "
            "the registry only receives the layers it lacks."
        )
    pulled = _each({v: _bytes(results, v, "cold", "pulled_bytes") for v in ranked})
    parts.append(
        f"A cold pull downloaded {pulled}: layers still on the engine (the base's, typically) "
        "are not fetched again."
    )
    return parts


def narrate(results: Results) -> Markdown:
    """Markdown, a paragraph per finding: transfers, rebuilds, capacity, claims, what failed."""
    parts = _transfer_story(results)
    rebuilt = {
        v: f"{fmt_s(rebuild_median(results, v))} ({steps_rebuilt(results, v)} steps re-run)"
        for v in (r.variant for r in by_compressed(results))
        if rebuild_samples(results, v)
    }
    if rebuilt:
        parts.append(f"Median rebuild after a one-line source edit: {_each(rebuilt)}.")
    parts += fresh_story(results)
    parts += capacity_story(results) + fill_story(results)
    parts += [
        f"*{sentence(c.claim)}*: **{c.verdict}** — {c.measured}." for c in claim_list(results)
    ]
    missing = [
        f"**{r.variant}** ({p})" for r in results.image_rows if (p := problems(results, r.variant))
    ]
    if missing:
        parts.append(f"Not measured: {'; '.join(missing)}.")
    return Markdown("\n\n".join(parts))
