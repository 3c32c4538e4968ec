"""A whole result store: every app and variant side by side (the latest run of each), and each
variant's history over commits (notebook 00). Each function takes a store or its folder."""

from kit.views.overview.figures import plot, plot_history
from kit.views.overview.text import facts, history, summary, table

__all__ = ["facts", "history", "plot", "plot_history", "summary", "table"]
