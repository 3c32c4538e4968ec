"""The fresh-host scenario as text: claims judged by fitted slopes, the measured transfer rate,
and projections to slower links.

A pull from the loopback registry is far faster than any network. What a slower link would
change is the transfer itself, so a *projection* takes the bytes the fresh host really
downloaded and divides them by the link's rate — transfer time only, without the unpacking and
start the measured numbers include. It is arithmetic on measured bytes, never a measurement, and
every column and sentence that shows one says so.
"""

from __future__ import annotations

import pandas as pd

from kit.model.claims import Claim
from kit.model.failures import cause_of
from kit.model.results import Results
from kit.util.stats import trend_verdict
from kit.util.units import MB, fmt_bytes, fmt_s
from kit.views.distribution.samples import (
    BASE,
    FRESH,
    by_compressed,
    fit_text,
    median,
    samples,
    transfer_fit,
)
from kit.views.verdicts import TOLERANCE, failed

FRESH_PULL_CLAIM = "smaller images pull faster onto an empty host"
DEPLOY_CLAIM = "smaller images are ready sooner on a fresh host"
BASE_DEPLOY_CLAIM = "smaller images are ready sooner on a host that has their base"
#: Links a projection is shown for: (bits per second, label).
LINKS = ((100e6, "100 Mbit/s"), (1e9, "1 Gbit/s"))
NOT_ASKED = "no fresh-host trials on this run (`--fresh-host`, `fresh_host=True`)"


def has_fresh(results: Results) -> bool:
    return any(d.scenario == FRESH for d in results.distribution_rows)


def transfer_rate(results: Results) -> float | None:
    """Bytes per second of the fresh host's pulls: Σ bytes downloaded / Σ pull seconds over
    every ok trial (the engine's unpacking included: it is part of a pull)."""
    ok = [
        d
        for d in results.distribution_rows
        if d.scenario == FRESH and d.status == "ok" and d.pull_s and d.pulled_bytes is not None
    ]
    seconds = sum(d.pull_s or 0.0 for d in ok)
    return sum(d.pulled_bytes or 0 for d in ok) / seconds if seconds > 0 else None


def projected_s(nbytes: float, bits_per_s: float) -> float:
    """Seconds to move ``nbytes`` over a link of ``bits_per_s``: a projection, not a timing."""
    return nbytes * 8 / bits_per_s


def _fresh_claim(results: Results, field: str, text: str, scenario: str = FRESH) -> Claim:
    if not has_fresh(results):
        return Claim(text, NOT_ASKED, "not measured", False)
    fit, reason = transfer_fit(results, field, scenario)
    if fit is None:
        # Base-present deploys are started after the fresh host's trials: either can break them.
        steps = ["fresh host"] if scenario == FRESH else ["push and pull", "fresh host"]
        broke = cause_of(results.failures, steps)
        if broke is not None:
            return failed(text, broke)
        return Claim(text, f"{scenario}: {reason}", "not tested", False)
    return Claim(text, f"{scenario}: {fit_text(fit)}", trend_verdict(fit), False)


def fresh_claims(results: Results) -> list[Claim]:
    """The fresh-host claims and the base-present deploy (measured with them), each judged by
    its fitted slope's 95 % interval."""
    return [
        _fresh_claim(results, "pull_s", FRESH_PULL_CLAIM),
        _fresh_claim(results, "deploy_s", DEPLOY_CLAIM),
        _fresh_claim(results, "deploy_s", BASE_DEPLOY_CLAIM, BASE),
    ]


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def projection(results: Results) -> pd.DataFrame:
    """Per variant, smallest compressed first: what the fresh host's pull downloaded and took,
    its deploy time (both measured), and the transfer time the same bytes would take on slower
    links (projected, labelled so)."""
    rows = []
    for r in by_compressed(results):
        moved = median(results, r.variant, "cold", "pulled_bytes", FRESH)
        if moved is None:
            continue
        row: dict[str, object] = {
            "variant": r.variant,
            "compressed_MB": _r(r.compressed_bytes / MB if r.compressed_bytes else None, 1),
            "pulled fresh (MB)": round(moved / MB, 1),
            "pull fresh (s, measured)": _r(median(results, r.variant, "cold", "pull_s", FRESH)),
            "deploy fresh (s, measured)": _r(median(results, r.variant, "cold", "deploy_s", FRESH)),
            "n": len(samples(results, r.variant, "cold", "pull_s", FRESH)),
        }
        for bits, label in LINKS:
            row[f"transfer at {label} (s, projected)"] = _r(projected_s(moved, bits))
        rows.append(row)
    return pd.DataFrame(rows)


def fresh_story(results: Results) -> list[str]:
    """Paragraphs of the fresh-host scenario for :func:`narrate`."""
    if not has_fresh(results):
        return []
    ranked = [
        r.variant
        for r in by_compressed(results)
        if samples(results, r.variant, "cold", "pull_s", FRESH)
    ]
    if not ranked:
        return ["No pull onto the fresh host succeeded on this run."]

    def each(field: str) -> str:
        values = [median(results, v, "cold", field, FRESH) for v in ranked]
        text = [fmt_bytes(x) if field == "pulled_bytes" else fmt_s(x) for x in values]
        return ", ".join(f"{v} {t}" for v, t in zip(ranked, text, strict=True))

    parts = [
        "On a fresh host (an empty extra engine pulling from the registry on 127.0.0.1), "
        f"smallest compressed image first: a cold pull downloaded {each('pulled_bytes')} and "
        f"took {each('pull_s')}; pull + create + start to ready (deploy) took {each('deploy_s')}."
    ]
    for field, verb, scenario in (
        ("pull_s", "pull", FRESH),
        ("deploy_s", "deploy", FRESH),
        ("deploy_s", "deploy", BASE),
    ):
        fit, reason = transfer_fit(results, field, scenario)
        parts.append(
            f"{scenario.capitalize()} {verb} time against compressed size: "
            + (fit_text(fit) if fit else f"no fit ({reason})")
            + "."
        )
    rate = transfer_rate(results)
    if rate is not None:
        biggest = max(median(results, v, "cold", "pulled_bytes", FRESH) or 0.0 for v in ranked)
        links = ", ".join(
            f"{fmt_s(projected_s(biggest, bits))} at {label}" for bits, label in LINKS
        )
        parts.append(
            f"Measured transfer rate of those pulls: {rate / MB:.1f} MB/s (Σ bytes / Σ pull "
            f"time, loopback). *Projection, not a measurement*: the largest pull "
            f"({fmt_bytes(biggest)}) would need {links} for the transfer alone."
        )
    return parts


def fresh_facts(results: Results) -> list[str]:
    """Stable facts: which scenarios ran, trial counts, and whether each fresh pull moved about
    its image's whole compressed size (within the views' tolerance)."""
    if not has_fresh(results):
        return []  # what a run without a fresh host printed before, unchanged
    scenarios = sorted({d.scenario for d in results.distribution_rows})
    lines = [f"distribution scenarios: {', '.join(scenarios)}"]
    # Whether, not how many: the trial count is a parameter (nbval runs fewer than the default).
    deployed = (
        f"{r.variant} {'yes' if samples(results, r.variant, 'cold', 'deploy_s', FRESH) else 'no'}"
        for r in by_compressed(results)
    )
    lines.append("fresh-host deploy measured: " + ", ".join(deployed))
    whole = []
    for r in by_compressed(results):
        moved = median(results, r.variant, "cold", "pulled_bytes", FRESH)
        if moved is None or not r.compressed_bytes:
            whole.append(f"{r.variant} not measured")
            continue
        close = abs(moved - r.compressed_bytes) <= r.compressed_bytes * TOLERANCE
        whole.append(f"{r.variant} {'yes' if close else 'no'}")
    lines.append("fresh-host pull moved the whole compressed image: " + ", ".join(whole))
    return lines
