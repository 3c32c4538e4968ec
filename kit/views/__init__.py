"""What a run (or the whole store) shows: tables, narration, claims, stable facts and figures,
one topic per notebook, each with the same names.

=================  ===================================================================
``images``         size, layers, builds and starts of each variant (notebook 01)
``layers``         layer anatomy, waste and lint costs (02)
``floor``          the size floor, attack surface and build stages (03)
``distribution``   push and pull, rebuild after an edit, images per host (04)
``overview``       every app and variant in a store, and their history (00)
``contents``       files and packages one variant has and another lacks (01, ``kit diff``)
``budgets``        the app's declared budgets judged on each variant (``kit check``)
``builders``       one app under BuildKit and the classic builder, side by side (05)
``summary``        a run's headline: complete or partial, key numbers, every verdict (all)
``config``         each image's runtime config, the registered ``config`` measurement
=================  ===================================================================

Each topic has ``table``, ``narrate`` (Markdown, rendered in Jupyter), ``claims`` (a table of
verdicts), ``facts`` (the stable lines a regression check compares) and ``plot_*`` figures;
``overview`` takes a store instead of a run, ``builders`` the runs of each builder. Views read
:mod:`kit.model` only: never the engine.
Topics are imported on first use, so a view of layers does not pay for the others.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kit.views import (
        budgets,
        builders,
        contents,
        distribution,
        floor,
        images,
        layers,
        overview,
        summary,
    )

TOPICS = (
    "images",
    "layers",
    "floor",
    "distribution",
    "overview",
    "contents",
    "budgets",
    "builders",
    "summary",
)
__all__ = [
    "budgets",
    "builders",
    "contents",
    "distribution",
    "floor",
    "images",
    "layers",
    "overview",
    "summary",
]


def __getattr__(name: str) -> ModuleType:
    # A registered measurement's view (kit.measurements) is a module here too, found by name.
    if name not in TOPICS and importlib.util.find_spec(f"kit.views.{name}") is None:
        raise AttributeError(f"module 'kit.views' has no attribute {name!r}")
    return importlib.import_module(f"kit.views.{name}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(TOPICS))
