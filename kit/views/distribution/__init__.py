"""The payoffs of one run: push and pull through a registry, pull and deploy onto a fresh host,
rebuild after a source edit, images per host (notebook 04): ``text`` and ``figures``, with
``fresh`` (the fresh-host scenario) and ``hosts`` (images per host); ``samples`` holds the
per-variant samples and fits the views share."""

from kit.views.distribution.figures import (
    plot_fresh_host,
    plot_push_pull,
    plot_pushed_bytes,
    plot_rebuild,
)
from kit.views.distribution.fresh import projection
from kit.views.distribution.hosts import capacity
from kit.views.distribution.text import claims, facts, narrate, table

__all__ = [
    "capacity",
    "claims",
    "facts",
    "narrate",
    "plot_fresh_host",
    "plot_push_pull",
    "plot_pushed_bytes",
    "plot_rebuild",
    "projection",
    "table",
]
