"""Layer anatomy of one run: bytes per layer, compression, waste, and what each size-related
lint finding costs (notebook 02)."""

from kit.views.layers.figures import plot_compression, plot_layers
from kit.views.layers.text import claims, facts, lint_costs, narrate, table, wasted

__all__ = [
    "claims",
    "facts",
    "lint_costs",
    "narrate",
    "plot_compression",
    "plot_layers",
    "table",
    "wasted",
]
