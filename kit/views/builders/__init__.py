"""One app built by both builders, side by side: build times cold, warm and after an edit,
sizes and layers, the stages each builder ran, package caches in the layers, and the claims
those numbers judge (notebook 05). Every function takes the runs (one per builder)."""

from kit.views.builders.figures import plot_build_times, plot_sizes
from kit.views.builders.text import claims, facts, narrate, table

__all__ = ["claims", "facts", "narrate", "plot_build_times", "plot_sizes", "table"]
