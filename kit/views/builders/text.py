"""One app built by both builders, side by side: a table, claims, stable facts and narration,
every number taken from the two runs (one per builder, into the same store).

Verdicts on bytes and stages do not depend on timing and are ``stable``; the build-time claim
compares the rebuild-after-edit samples of each builder by the bootstrap interval of the
difference of medians, never one timing against another.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pandas as pd

from kit.model.claims import Claim, Verdict
from kit.model.failures import VARIANT_STEPS, Failure, cause_of, unexpected
from kit.model.results import Results
from kit.util.stats import compare, summarize
from kit.util.units import MB, fmt_bytes, fmt_s, sentence
from kit.views.builders.samples import (
    by_builder,
    cache_bytes,
    cache_paths,
    rebuild_samples,
    rebuild_steps,
    row,
    skipped,
    stages_of,
    variants,
)
from kit.views.common import Markdown
from kit.views.verdicts import TOLERANCE, claim_frame, failed, ranking

SKIP_CLAIM = "BuildKit skips the stages the release does not use"
REBUILD_CLAIM = "skipping unused stages makes BuildKit's rebuild after an edit faster"
CACHE_CLAIM = "a cache mount keeps the package cache out of the image"
#: (variant with ``RUN --mount=type=cache``, the same Dockerfile without it)
CachePair = Sequence[str] | None


def _round(value: float | None, scale: float = 1.0, digits: int = 2) -> float | None:
    return None if value is None else round(value / scale, digits)


def table(runs: Sequence[Results]) -> pd.DataFrame:
    """One row per variant and builder: size, layers, stages built, build and rebuild times."""
    out = []
    for name in variants(runs):
        for builder, results in by_builder(runs).items():
            r = row(results, name)
            if r is None:
                continue
            rebuilds = summarize(rebuild_samples(results, name))
            cache = cache_bytes(results, name)
            out.append(
                {
                    "variant": name,
                    "builder": builder,
                    "status": r.status,
                    "size_MB": _round(r.size_bytes, MB, 1),
                    "layers": r.layers,
                    "stages": r.stages,
                    "stages built": r.stages_built,
                    "build steps": r.build_steps,
                    "cold (s)": _round(r.build_cold_s),
                    "warm (s)": _round(r.build_warm_s),
                    "rebuild median (s)": _round(rebuilds.median),
                    "rebuild min–max (s)": None
                    if rebuilds.low is None
                    else f"{rebuilds.low:.2f}–{rebuilds.high:.2f}",
                    "rebuild n": rebuilds.n,
                    "rebuild steps": rebuild_steps(results, name),
                    "package cache (MB)": _round(cache, MB, 3),
                    "error": None if r.error is None else f"{r.error_type}: {r.error}",
                }
            )
    counts = ("layers", "stages", "build steps", "rebuild n", "rebuild steps")
    frame = pd.DataFrame(out)
    return frame.astype({c: "Int64" for c in counts}) if len(frame) else frame


def _broken(runs: Sequence[Results], steps: Iterable[str], names: Iterable[str]) -> Failure | None:
    """The first unexpected failure of ``steps`` of one of ``names`` under either builder, named
    with its builder: what left a builder claim without its numbers, if anything did. A build
    the run's builder cannot do (BuildKit-only syntax under classic) is the parameters' choice."""
    names = list(names)
    for builder, results in by_builder(runs).items():
        mine = [f for f in unexpected(results.failures) if f.variant in names]
        found = cause_of(mine, steps, names)
        if found is not None:
            return replace(found, step=f"{found.step} ({builder})")
    return None


def _skip_claim(runs: Sequence[Results]) -> Claim:
    both = {v: s for v in variants(runs) if (s := skipped(runs, v)) is not None}
    # A variant one builder failed to build may be the one whose stages BuildKit skips.
    broke = _broken(runs, VARIANT_STEPS, [v for v in variants(runs) if v not in both])
    if not both:
        if broke is not None:
            return failed(SKIP_CLAIM, broke)
        return Claim(SKIP_CLAIM, "no variant built by both builders", "not tested", True)
    skips = {v: s for v, s in both.items() if s}
    if not skips:
        if broke is not None:
            return failed(SKIP_CLAIM, broke)
        return Claim(
            SKIP_CLAIM,
            "both builders ran the same stages of every variant: no stage to skip",
            "not tested",
            True,
        )
    runs_of = by_builder(runs)
    measured = "; ".join(
        f"{v}: classic ran {', '.join(stages_of(runs_of['classic'], v) or ())}, BuildKit "
        f"{', '.join(stages_of(runs_of['buildkit'], v) or ())} ({', '.join(s)} skipped)"
        for v, s in skips.items()
    )
    return Claim(SKIP_CLAIM, measured, "holds", True)


def _rebuild_claim(runs: Sequence[Results]) -> Claim | None:
    skips = [v for v in variants(runs) if skipped(runs, v)]
    if not skips:
        return None
    name, runs_of = skips[0], by_builder(runs)
    bk, classic = (rebuild_samples(runs_of[b], name) for b in ("buildkit", "classic"))
    cmp = compare(bk, classic)
    if cmp is None:
        if (broke := _broken(runs, ["rebuild"], [name])) is not None:
            return failed(REBUILD_CLAIM, broke)
        return Claim(
            REBUILD_CLAIM,
            f"{name}: {len(bk)} BuildKit and {len(classic)} classic rebuilds; two each needed",
            "not tested",
            False,
        )
    verdicts: dict[str, Verdict] = {
        "b slower": "holds",
        "b faster": "does not hold",
        "within noise": "not shown (within noise)",
    }
    return Claim(
        REBUILD_CLAIM,
        f"{name}: classic − BuildKit {cmp.difference:+.2f} s median rebuild (95% CI "
        f"{cmp.ci_low:+.2f} … {cmp.ci_high:+.2f} s; BuildKit {statistics.median(bk):.2f} s, "
        f"classic {statistics.median(classic):.2f} s, n={len(bk)}/{len(classic)})",
        verdicts[cmp.verdict],
        False,
    )


def _cache_claim(runs: Sequence[Results], pair: CachePair) -> Claim | None:
    if not pair:
        return None
    mount, plain = pair
    for builder, results in by_builder(runs).items():
        a, b = cache_bytes(results, mount), cache_bytes(results, plain)
        if a is None or b is None:
            continue
        ra, rb = row(results, mount), row(results, plain)
        measured = (
            f"{builder}: package cache in the layers of {mount} {fmt_bytes(a)} vs {plain} "
            f"{fmt_bytes(b)}; images {fmt_bytes(ra.size_bytes if ra else None)} vs "
            f"{fmt_bytes(rb.size_bytes if rb else None)}"
        )
        if b == 0:
            return Claim(CACHE_CLAIM, measured + ": no cache to keep out", "not tested", True)
        holds = a < b - TOLERANCE * b
        return Claim(CACHE_CLAIM, measured, "holds" if holds else "does not hold", True)
    if (broke := _broken(runs, VARIANT_STEPS, [mount, plain])) is not None:
        return failed(CACHE_CLAIM, broke)
    return Claim(CACHE_CLAIM, f"no builder measured both {mount} and {plain}", "not tested", True)


def claim_list(runs: Sequence[Results], cache_pair: CachePair = None) -> list[Claim]:
    found = [_skip_claim(runs), _rebuild_claim(runs), _cache_claim(runs, cache_pair)]
    return [c for c in found if c is not None]


def claims(runs: Sequence[Results], cache_pair: CachePair = None) -> pd.DataFrame:
    """Each claim with what the two runs measured and its verdict."""
    return claim_frame(claim_list(runs, cache_pair))


def _status_line(builder: str, results: Results) -> str:
    failed = ", ".join(f"{r.variant} ({r.error_type})" for r in results.failed)
    return f"{builder}: {len(results.ok)} ok, {len(results.failed)} failed" + (
        f": {failed}" if failed else ""
    )


def facts(runs: Sequence[Results], cache_pair: CachePair = None) -> str:
    """What a rerun on the same engine and bases reproduces: statuses, stages each builder ran,
    layers, the size ranking, whether a package cache is in the layers, stable verdicts."""
    runs_of = by_builder(runs)
    lines = [_status_line(b, r) for b, r in runs_of.items()]
    for builder, results in runs_of.items():
        sizes = {r.variant: float(r.size_bytes or 0) for r in results.ok}
        lines.append(f"size ranking ({builder}, smallest first): {ranking(sizes)}")
    for name in variants(runs):
        per = {b: row(r, name) for b, r in runs_of.items()}
        ok = {b: r for b, r in per.items() if r is not None and r.status == "ok"}
        if not ok:
            continue
        lines.append(f"{name} layers: " + ", ".join(f"{b}={r.layers}" for b, r in ok.items()))
        lines.append(
            f"{name} stages built: "
            + "; ".join(f"{b}={r.stages_built or '?'}" for b, r in ok.items())
        )
        cached = {b: cache_bytes(runs_of[b], name) for b in ok}
        lines.append(
            f"{name} package cache in its layers: "
            + ", ".join(
                f"{b}={'?' if c is None else 'yes' if c else 'no'}" for b, c in cached.items()
            )
        )
    lines += [f"claim: {c.claim}: {c.verdict}" for c in claim_list(runs, cache_pair) if c.stable]
    return "\n".join(lines)


def narrate(runs: Sequence[Results], cache_pair: CachePair = None) -> Markdown:
    """A paragraph per finding, every number from the runs."""
    runs_of = by_builder(runs)
    parts = [
        "Runs: "
        + "; ".join(
            f"**{b}** `{r.run.run_id}` (profile {r.run.profile}, asked: {r.run.requested_builder})"
            for b, r in runs_of.items()
        )
        + "."
    ]
    for builder, results in runs_of.items():
        for bad in results.failed:
            parts.append(
                f"Under **{builder}**, **{bad.variant}** failed: {bad.error_type}: {bad.error}"
            )
    for name in variants(runs):
        timed = []
        for b, results in runs_of.items():
            r = row(results, name)
            if r is None or r.status != "ok":
                continue
            again = rebuild_samples(results, name)
            timed.append(
                f"{b} {fmt_s(r.build_cold_s)} cold / {fmt_s(r.build_warm_s)} warm"
                + (
                    f" / {fmt_s(statistics.median(again))} after an edit (median of {len(again)})"
                    if again
                    else ""
                )
            )
        if timed:
            parts.append(f"**{name}**: " + "; ".join(timed) + ".")
    parts.append(
        "Cold and warm builds are one build each: indications, not statistics. Package caches "
        f"are the bytes under {cache_paths()} in the image's layers."
    )
    for claim in claim_list(runs, cache_pair):
        parts.append(f"*{sentence(claim.claim)}*: **{claim.verdict}** — {claim.measured}.")
    return Markdown("\n\n".join(parts))
