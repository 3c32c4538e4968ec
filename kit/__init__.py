"""image-diet kit: measured experiments on the advice for shrinking Docker images.

The public API is what notebooks use; everything else is an implementation detail. Names are
imported on first use, so ``kit engine up`` or a layer analysis do not pay for pandas and
matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kit.discover import App, Probe, Variant, load_app
    from kit.errors import KitError
    from kit.experiment import run_experiment
    from kit.narration import claims_table, narrate, stable_facts, summary_table
    from kit.narration_distribution import (
        capacity_table,
        distribution_claims,
        distribution_facts,
        distribution_table,
        narrate_distribution,
    )
    from kit.narration_floor import floor_table, narrate_floor
    from kit.narration_layers import anatomy_table, lint_costs, narrate_layers, wasted_table
    from kit.overview import history_table, overview_facts, overview_table, store_summary
    from kit.plots import (
        plot_build_times,
        plot_compression,
        plot_floor,
        plot_layers,
        plot_sizes,
        plot_stages,
        plot_start_times,
    )
    from kit.plots_distribution import plot_push_pull, plot_pushed_bytes, plot_rebuild
    from kit.plots_overview import plot_history, plot_overview
    from kit.report import render_report
    from kit.results import Results, load_results
    from kit.store import Store

_HOME = {
    "App": "kit.discover",
    "Probe": "kit.discover",
    "Variant": "kit.discover",
    "load_app": "kit.discover",
    "KitError": "kit.errors",
    "run_experiment": "kit.experiment",
    "claims_table": "kit.narration",
    "narrate": "kit.narration",
    "stable_facts": "kit.narration",
    "summary_table": "kit.narration",
    "floor_table": "kit.narration_floor",
    "narrate_floor": "kit.narration_floor",
    "plot_floor": "kit.plots",
    "plot_stages": "kit.plots",
    "anatomy_table": "kit.narration_layers",
    "lint_costs": "kit.narration_layers",
    "narrate_layers": "kit.narration_layers",
    "wasted_table": "kit.narration_layers",
    "plot_build_times": "kit.plots",
    "plot_compression": "kit.plots",
    "plot_layers": "kit.plots",
    "plot_sizes": "kit.plots",
    "plot_start_times": "kit.plots",
    "Results": "kit.results",
    "load_results": "kit.results",
    "history_table": "kit.overview",
    "overview_facts": "kit.overview",
    "overview_table": "kit.overview",
    "plot_history": "kit.plots_overview",
    "plot_overview": "kit.plots_overview",
    "store_summary": "kit.overview",
    "render_report": "kit.report",
    "Store": "kit.store",
    "capacity_table": "kit.narration_distribution",
    "distribution_claims": "kit.narration_distribution",
    "distribution_facts": "kit.narration_distribution",
    "distribution_table": "kit.narration_distribution",
    "narrate_distribution": "kit.narration_distribution",
    "plot_push_pull": "kit.plots_distribution",
    "plot_pushed_bytes": "kit.plots_distribution",
    "plot_rebuild": "kit.plots_distribution",
}

__all__ = [
    "App",
    "KitError",
    "Probe",
    "Results",
    "Store",
    "Variant",
    "anatomy_table",
    "capacity_table",
    "claims_table",
    "distribution_claims",
    "distribution_facts",
    "distribution_table",
    "floor_table",
    "history_table",
    "lint_costs",
    "load_app",
    "load_results",
    "narrate",
    "narrate_distribution",
    "narrate_floor",
    "narrate_layers",
    "overview_facts",
    "overview_table",
    "plot_build_times",
    "plot_compression",
    "plot_floor",
    "plot_history",
    "plot_layers",
    "plot_overview",
    "plot_push_pull",
    "plot_pushed_bytes",
    "plot_rebuild",
    "plot_sizes",
    "plot_stages",
    "plot_start_times",
    "render_report",
    "run_experiment",
    "stable_facts",
    "store_summary",
    "summary_table",
    "wasted_table",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
