"""Contents: every file and package of each image (the ``files`` and ``packages`` tables, what
``kit diff`` compares; :mod:`kit.measure.contents`, a phase of :mod:`kit.pipeline.variant`) —
one more pass over the image's filesystem.
"""

from __future__ import annotations

from kit.measurements import Measurement, Option

MEASUREMENT = Measurement(
    name="contents",
    options=(
        Option(
            "contents",
            True,
            "list every file and package of each image (the files and packages tables)",
            keyed="always",
        ),
    ),
)
