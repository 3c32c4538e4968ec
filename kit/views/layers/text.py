"""Views of a run's layer anatomy: tables, the lint findings joined to what they cost, and
narration. Every number comes from the run's results."""

from __future__ import annotations

import pandas as pd

from kit.model.results import Results
from kit.model.rows import ImageResult
from kit.model.rules import SIZE_RULE_PATHS, SIZE_RULES
from kit.model.samples import LintFinding
from kit.util.units import MB, fmt_bytes, sentence
from kit.views.common import Markdown, by_size
from kit.views.images.text import claim_list
from kit.views.images.text import claims as claims
from kit.views.images.text import facts as facts


def table(results: Results) -> pd.DataFrame:
    """One row per measured variant, smallest image first."""
    rows = []
    for r in by_size(results):
        rows.append(
            {
                "variant": r.variant,
                "size_MB": _mb(r.size_bytes),
                "compressed_MB": _mb(r.compressed_bytes),
                "layers": r.layers,
                "efficiency": None if r.efficiency is None else round(r.efficiency, 4),
                "wasted_MB": _mb(r.wasted_bytes),
                "wasted_MB (dive's count)": _mb(r.dive_wasted_bytes),
                "lint findings": r.lint_findings,
                "size-related": sum(
                    1 for f in results.lint_rows if f.variant == r.variant and f.size_related
                ),
            }
        )
    return pd.DataFrame(rows)


def wasted(results: Results, top: int = 5) -> pd.DataFrame:
    """The paths that waste the most bytes in each variant, and the layers holding copies."""
    rows = []
    for r in by_size(results):
        for w in [w for w in results.wasted_rows if w.variant == r.variant][:top]:
            rows.append(
                {
                    "variant": w.variant,
                    "path": w.path,
                    "wasted_MB": _mb(w.wasted_bytes),
                    "layers": w.layers,
                }
            )
    return pd.DataFrame(rows, columns=["variant", "path", "wasted_MB", "layers"])


def _size_rules(results: Results, variant: str) -> set[str]:
    return {f.rule for f in results.lint_rows if f.variant == variant and f.size_related}


def _cost(results: Results, finding: LintFinding) -> tuple[int | None, str]:
    """What ignoring ``finding``'s rule costs in its variant, and how that was measured."""
    if finding.ships is False:
        return 0, f"in stage {finding.stage!r}, whose layers the released image does not hold"
    prefixes = SIZE_RULE_PATHS.get(finding.rule, ())
    if prefixes:
        found = [
            b.bytes
            for b in results.rule_bytes
            if b.variant == finding.variant and b.rule == finding.rule
        ]
        if found:
            return found[0], f"bytes under {', '.join(prefixes)} in the image's layers"
    # Otherwise compare with a variant whose size-related findings lack exactly this one.
    mine = _size_rules(results, finding.variant)
    sizes = {r.variant: r for r in results.ok}
    me = sizes.get(finding.variant)
    for other in sorted(sizes):
        if other != finding.variant and _size_rules(results, other) == mine - {finding.rule}:
            if me is None or me.size_bytes is None or sizes[other].size_bytes is None:
                break
            diff = me.size_bytes - (sizes[other].size_bytes or 0)
            return diff, f"size − {other} (which differs by this finding alone)"
    return None, "no variant differs by this fix alone"


def lint_costs(results: Results) -> pd.DataFrame:
    """Every size-related hadolint finding with the bytes it costs on this run."""
    rows = []
    for f in results.lint_rows:
        if not f.size_related:
            continue
        cost, how = _cost(results, f)
        rows.append(
            {
                "variant": f.variant,
                "rule": f.rule,
                "line": f.line,
                "stage": f.stage,
                "what it costs": SIZE_RULES.get(f.rule, f.message),
                "cost_MB": _mb(cost),
                "measured as": how,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["variant", "rule", "line", "stage", "what it costs", "cost_MB", "measured as"],
    )


def _mb(n: float | None) -> float | None:
    return None if n is None else round(n / MB, 2)


def _compressed(r: ImageResult) -> str:
    ratio = (r.size_bytes or 0) / (r.compressed_bytes or 1)
    return f"{r.variant} {fmt_bytes(r.compressed_bytes)} ({ratio:.1f}× smaller)"


def _worst_waste(results: Results, r: ImageResult) -> str:
    mine = [w for w in results.wasted_rows if w.variant == r.variant]
    if not mine:
        return ""
    w = mine[0]
    return f"; the biggest is `{w.path}` ({fmt_bytes(w.wasted_bytes)}, copies in layers {w.layers})"


def narrate(results: Results) -> Markdown:
    """Markdown paragraphs on layers, compression, waste, lint costs and the declared claims."""
    ranked = [r for r in by_size(results) if r.efficiency is not None]
    if not ranked:
        return Markdown("No variant was measured, so there is nothing to say about its layers.")
    parts = []
    fewest = min(ranked, key=lambda r: r.layers or 0)
    most = max(ranked, key=lambda r: r.layers or 0)
    parts.append(
        f"Layers range from {fewest.layers} (**{fewest.variant}**) to {most.layers} "
        f"(**{most.variant}**). Compressed for a push, the images shrink to "
        + ", ".join(_compressed(r) for r in ranked)
        + "."
    )
    wasteful = max(ranked, key=lambda r: r.wasted_bytes or 0)
    if (wasteful.wasted_bytes or 0) > 0:
        parts.append(
            f"**{wasteful.variant}** wastes the most: {fmt_bytes(wasteful.wasted_bytes)} of files "
            f"that a later layer replaces or deletes (efficiency {wasteful.efficiency:.3f})"
            + _worst_waste(results, wasteful)
            + ". dive would report "
            + f"{fmt_bytes(wasteful.dive_wasted_bytes)}, counting the kept copy too."
        )
    for row in lint_costs(results).to_dict("records"):
        if row["cost_MB"] is None or pd.isna(row["cost_MB"]):
            continue
        parts.append(
            f"{row['rule']} in `{row['variant']}` (line {row['line']}) costs "
            f"**{row['cost_MB']:.1f} MB** here — {row['what it costs']} ({row['measured as']})."
        )
    unlinted = [f for f in results.failures if f.step == "lint"]
    if unlinted:
        parts.append(
            "**Lint failed** — "
            + "; ".join(str(f) for f in unlinted)
            + ": those findings, and what ignoring them costs, are unknown on this run."
        )
    for claim in claim_list(results):
        if claim.stable:
            parts.append(f"*{sentence(claim.claim)}*: **{claim.verdict}** — {claim.measured}.")
    return Markdown("\n\n".join(parts))
