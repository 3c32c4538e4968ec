"""What every part of :class:`kit.engine.Engine` shares: the labels the kit puts on what it
creates, the length of the log tails it reports, and which exceptions mean the engine is gone.

Kept apart from ``kit.engine`` so the mixins that make up :class:`~kit.engine.Engine` can use
them without importing the module that imports them.
"""

from __future__ import annotations

import os

import requests.exceptions

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
    batch = os.environ.get("KIT_BATCH_ID")
    return {BATCH_LABEL: batch} if batch else {}


def transport_errors() -> tuple[type[BaseException], ...]:
    return (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError)
