"""The payoffs of one run: push and pull through a registry, rebuild after a source edit, images
per host (notebook 04). ``samples`` holds the per-variant samples and fits the views share."""

from kit.views.distribution.figures import plot_push_pull, plot_pushed_bytes, plot_rebuild
from kit.views.distribution.text import capacity, claims, facts, narrate, table

__all__ = [
    "capacity",
    "claims",
    "facts",
    "narrate",
    "plot_push_pull",
    "plot_pushed_bytes",
    "plot_rebuild",
    "table",
]
