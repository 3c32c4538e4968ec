"""The images of one run: size, layers, builds and starts of each variant (notebook 01)."""

from kit.views.images.figures import plot_build_times, plot_sizes, plot_start_times
from kit.views.images.text import claims, facts, narrate, table

__all__ = [
    "claims",
    "facts",
    "narrate",
    "plot_build_times",
    "plot_sizes",
    "plot_start_times",
    "table",
]
