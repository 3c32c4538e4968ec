"""A run's headline: the numbers a reader wants first — the best variant, how much smaller it
is, how far from the floor, the budgets and the claims — every one taken from the run. The
report puts the cell that shows it (tagged ``kit-headline``) right under the page's title."""

from __future__ import annotations

from kit.model.results import Results
from kit.util.units import fmt_bytes
from kit.views.budgets import checks
from kit.views.common import Markdown, by_size
from kit.views.images.text import claim_list


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def headline(results: Results) -> Markdown:
    """Markdown: a small table of the run's key numbers, then its claims and their verdicts."""
    ranked = by_size(results)
    rows = [("variants", f"{len(results.ok)} ok, {len(results.failed)} failed")]
    if ranked:
        best, worst = ranked[0], ranked[-1]
        line = f"**{best.variant}**, {fmt_bytes(best.size_bytes)}"
        if worst is not best and best.size_bytes:
            ratio = (worst.size_bytes or 0) / best.size_bytes
            line += f": {ratio:.1f}× smaller than {worst.variant} ({fmt_bytes(worst.size_bytes)})"
        rows.append(("smallest image", line))
        floored = [r for r in ranked if r.x_floor is not None]
        if floored:
            rows.append(
                (
                    "× floor",
                    f"floor {fmt_bytes(floored[0].floor_bytes)}; "
                    + ", ".join(f"{r.variant} {r.x_floor:.2f}×" for r in floored),
                )
            )
    found = checks(results)
    if found:
        held = sum(c.verdict == "within" for c in found)
        rows.append(("budgets", f"{held} of {len(found)} checks hold"))
    run = results.run
    parts = [
        f"**At a glance** — {results.title}, run `{run.run_id}` ({run.profile} profile)",
        "| | this run |\n|---|---|\n" + "\n".join(f"| {k} | {_cell(v)} |" for k, v in rows),
    ]
    claims = claim_list(results)
    if claims:
        parts.append(
            "| claim | verdict | measured |\n|---|---|---|\n"
            + "\n".join(
                f"| {_cell(c.claim)} | **{c.verdict}** | {_cell(c.measured)} |" for c in claims
            )
        )
    return Markdown("\n\n".join(parts))
