"""image-diet kit: measured experiments on the advice for shrinking Docker images.

The public API is this handful of names; notebooks use nothing else::

    import kit
    results = kit.run_experiment("dockerfiles/node-server", profile="local", store="results")
    kit.views.images.table(results)      # a DataFrame, one row per variant
    kit.views.images.narrate(results)    # Markdown, every number from this run
    kit.views.images.plot_sizes(results)

``kit.views`` has one topic per notebook (``images``, ``layers``, ``floor``, ``distribution``,
``overview``, ``builders``), each with ``table``, ``narrate``, ``claims``, ``facts`` and
``plot_*``, and a few more (``contents``, ``budgets``, ``summary``, ``config``).
Names are imported on first use, so ``kit engine up`` or a layer analysis do not pay for pandas
and matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kit import views
    from kit.errors import KitError
    from kit.inputs.app import App, Variant, load_app
    from kit.model.results import Results
    from kit.model.saved import load_results
    from kit.model.store import Store
    from kit.pipeline.experiment import run_experiment
    from kit.pipeline.options import Options
    from kit.runs.report import render_report

_HOME = {
    "App": "kit.inputs.app",
    "KitError": "kit.errors",
    "Options": "kit.pipeline.options",
    "Results": "kit.model.results",
    "Store": "kit.model.store",
    "Variant": "kit.inputs.app",
    "load_app": "kit.inputs.app",
    "load_results": "kit.model.saved",
    "render_report": "kit.runs.report",
    "run_experiment": "kit.pipeline.experiment",
}

__all__ = [
    "App",
    "KitError",
    "Options",
    "Results",
    "Store",
    "Variant",
    "load_app",
    "load_results",
    "render_report",
    "run_experiment",
    "views",
]


def __getattr__(name: str) -> Any:
    if name == "views":
        value: Any = importlib.import_module("kit.views")
    elif name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
    else:
        raise AttributeError(f"module 'kit' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
