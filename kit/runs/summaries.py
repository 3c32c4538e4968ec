"""The headlines an executed notebook carries (:mod:`kit.views.summary`), read back: whether
its run got every measurement it asked for, and what it found.

The headline cell displays its facts as JSON beside the Markdown, so a batch and the report's
index judge a notebook by what the kit measured in it, never by matching its text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kit.views.summary import MIME, Summary


def summaries(nb: Any) -> list[Summary]:
    """Every headline summary in an executed notebook (a notebook node), in cell order."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(MIME)
            if isinstance(data, dict):
                found.append(Summary.from_json(data))
    return found


def read_summaries(notebook: Path) -> list[Summary]:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    return summaries(nb)


def missing(found: list[Summary]) -> str | None:
    """What the notebook's runs could not measure, in one line; None when they got it all."""
    failures = [f for s in found for f in s.failures]
    if not failures:
        return None
    more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
    return f"{len(failures)} measurement(s) failed: " + "; ".join(failures[:3]) + more
