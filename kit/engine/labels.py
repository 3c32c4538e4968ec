"""The labels and tags the kit puts on what it creates, so cleanup finds its own objects and
never a user's."""

from __future__ import annotations

from kit.config import settings

#: Experiment images carry this label. Labels are inherited by images built on top and by
#: containers, so cleanup selects containers by their per-run ``kit.run`` label and images by
#: the kit's own repositories, never by this label alone.
MANAGED = "kit.managed"
RUN_LABEL = "kit.run"
#: Set by ``kit batch`` for each notebook's kernel, so an interrupted batch finds what it made.
BATCH_LABEL = "kit.batch"
REPOSITORIES = ("kitexp/", "kitbase/")
LOG_TAIL_LINES = 25


def batch_labels() -> dict[str, str]:
    batch = settings().batch_id
    return {BATCH_LABEL: batch} if batch else {}
