"""image-diet kit: measured experiments on the advice for shrinking Docker images.

The public API is what notebooks use; everything else is an implementation detail.
"""

from kit.discover import App, Probe, Variant, load_app
from kit.errors import KitError
from kit.experiment import run_experiment
from kit.narrate import claims_table, narrate, stable_facts, summary_table
from kit.narrate_layers import anatomy_table, lint_costs, narrate_layers, wasted_table
from kit.plots import (
    plot_build_times,
    plot_compression,
    plot_layers,
    plot_sizes,
    plot_start_times,
)
from kit.results import Results, load_results

__all__ = [
    "App",
    "KitError",
    "Probe",
    "Results",
    "Variant",
    "anatomy_table",
    "claims_table",
    "lint_costs",
    "load_app",
    "load_results",
    "narrate",
    "narrate_layers",
    "plot_build_times",
    "plot_compression",
    "plot_layers",
    "plot_sizes",
    "plot_start_times",
    "run_experiment",
    "stable_facts",
    "summary_table",
    "wasted_table",
]
