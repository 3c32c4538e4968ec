"""What the ``kit`` commands print for machines and for pasting: one JSON document on stdout
(logs and progress stay on stderr), and tables as Markdown or CSV."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from kit.model.results import Results


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: a number that is not finite was not measured."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def emit_json(document: Any) -> None:
    """``document`` as one strict JSON document on stdout."""
    sys.stdout.write(json.dumps(_clean(document), indent=2, ensure_ascii=False, allow_nan=False))
    sys.stdout.write("\n")
    sys.stdout.flush()


def run_document(results: Results) -> dict[str, Any]:
    """A run for machines: its envelope, one object per images row, and the claims' verdicts."""
    from kit.views.images.text import claim_list

    return {
        "app": results.app,
        "title": results.title,
        "run": dataclasses.asdict(results.run),
        "images": [dataclasses.asdict(r) for r in results.image_rows],
        "claims": [dataclasses.asdict(c) for c in claim_list(results)],
    }


def markdown(frame: pd.DataFrame) -> str:
    """A DataFrame as a GitHub Markdown table (empty cells for missing values)."""

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        text = str(value)
        if text in ("<NA>", "nan", "NaT"):
            return ""
        return text.replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *body])


def text_table(rows: list[dict[str, str]]) -> str:
    """Rows of strings as left-aligned columns, for a terminal or a CI log."""
    if not rows:
        return ""
    heads = list(rows[0])
    widths = {h: max(len(h), *(len(r[h]) for r in rows)) for h in heads}
    lines = ["  ".join(h.ljust(widths[h]) for h in heads).rstrip()]
    lines += ["  ".join(r[h].ljust(widths[h]) for h in heads).rstrip() for r in rows]
    return "\n".join(lines)
