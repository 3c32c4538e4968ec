"""The size floor of one run, each variant's ×floor and attack surface, and the bytes of its
build stages (notebook 03)."""

from kit.views.floor.figures import plot_floor, plot_stages
from kit.views.floor.text import claims, facts, narrate, table
from kit.views.images.figures import plot_build_times

__all__ = ["claims", "facts", "narrate", "plot_build_times", "plot_floor", "plot_stages", "table"]
