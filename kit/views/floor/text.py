"""Views of the size floor and the attack surface: a table and narration, every number taken
from a run's results."""

from __future__ import annotations

import pandas as pd

from kit.model.results import Results
from kit.model.rows import ImageResult
from kit.util.units import MB, fmt_bytes, fmt_s, sentence
from kit.views.common import Markdown, by_size
from kit.views.images.text import claim_list
from kit.views.images.text import claims as claims
from kit.views.images.text import facts as facts


def _yes(flag: bool | None) -> str:
    return "?" if flag is None else "yes" if flag else "no"


def table(results: Results) -> pd.DataFrame:
    """Size, floor, ×floor and attack surface per variant, smallest first."""
    rows = []
    for r in by_size(results):
        rows.append(
            {
                "variant": r.variant,
                "size_MB": None if r.size_bytes is None else round(r.size_bytes / MB, 1),
                "floor_MB": None if r.floor_bytes is None else round(r.floor_bytes / MB, 1),
                "x_floor": None if r.x_floor is None else round(r.x_floor, 2),
                "stages": r.stages,
                "packages": r.packages,
                "shell": _yes(r.has_shell),
                "package manager": _yes(r.has_package_manager),
                "pip": _yes(r.has_pip),
                "compiler": _yes(r.has_compiler),
            }
        )
    return pd.DataFrame(rows)


def _stage_story(results: Results, r: ImageResult) -> str:
    mine = [s for s in results.stage_rows if s.variant == r.variant]
    built = max((s.size_bytes for s in mine if not s.release), default=0)
    if not mine or not built:
        return ""
    return (
        f" Its largest build stage holds {fmt_bytes(built)}; "
        f"{fmt_bytes(r.size_bytes)} of it reaches the release image."
    )


def narrate(results: Results) -> Markdown:
    """Markdown: the floor, how far each variant is from it, what it exposes, what it costs."""
    ranked = by_size(results)
    if not ranked:
        return Markdown("No variant was measured.")
    first = ranked[0]
    parts = []
    if first.floor_bytes:
        files = len(results.floor_rows)
        parts.append(
            f"The service needs **{fmt_bytes(first.floor_bytes)}** of files to start and answer "
            f"its probe: {files} files, {first.floor_note}. Against that floor: "
            + ", ".join(f"**{r.variant}** {r.x_floor:.2f}×" for r in ranked if r.x_floor)
            + "."
        )
        biggest = sorted(results.floor_rows, key=lambda f: -f.bytes)[:3]
        if biggest:
            parts.append(
                "The floor's largest files: "
                + ", ".join(f"`{f.path}` ({fmt_bytes(f.bytes)})" for f in biggest)
                + "."
            )
    else:
        parts.append(f"The floor is unknown on this run: {first.floor_note or 'not traced'}.")
    best, worst = ranked[0], ranked[-1]
    if len(ranked) > 1:
        parts.append(
            f"**{best.variant}** ({fmt_bytes(best.size_bytes)}) is "
            f"{(worst.size_bytes or 0) / (best.size_bytes or 1):.1f}× smaller than "
            f"**{worst.variant}** ({fmt_bytes(worst.size_bytes)})."
            + _stage_story(results, next((r for r in ranked if (r.stages or 0) > 1), best))
        )
    exposed = [
        f"{r.variant}: {r.packages if r.packages is not None else 'no'} packages, shell "
        f"{_yes(r.has_shell)}, package manager {_yes(r.has_package_manager)}, compiler "
        f"{_yes(r.has_compiler)}"
        for r in ranked
    ]
    parts.append("Attack surface — " + "; ".join(exposed) + ".")
    multi = [r for r in ranked if (r.stages or 0) > 1]
    single = [r for r in ranked if r.stages == 1]
    if multi and single:
        parts.append(
            "Build time, cold / warm: "
            + ", ".join(
                f"{r.variant} {fmt_s(r.build_cold_s)} / {fmt_s(r.build_warm_s)}" for r in ranked
            )
            + " (one build each: indications)."
        )
    for claim in claim_list(results):
        if claim.stable:
            parts.append(f"*{sentence(claim.claim)}*: **{claim.verdict}** — {claim.measured}.")
    return Markdown("\n\n".join(parts))
