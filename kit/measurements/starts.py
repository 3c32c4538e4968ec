"""Container start time: each variant's image started to ready ``trials`` times, after
``warmups`` discarded starts (the ``trials`` table; measured in :mod:`kit.measure.start`, a phase
of :mod:`kit.pipeline.variant`). Both counts are part of every variant's cache key.
"""

from __future__ import annotations

from kit.measurements import Measurement, Option

MEASUREMENT = Measurement(
    name="starts",
    options=(
        Option("trials", 5, "timed starts per variant", keyed="always", minimum=1),
        Option("warmups", 1, "discarded starts before the trials", keyed="always"),
    ),
)
