"""The floor: the bytes of the files the started service really uses, traced once on the
smallest working variant (:mod:`kit.measure.floor`; the ``floor`` table and each variant's
``x_floor``). It is a step of its own after the variants (:mod:`kit.pipeline.floor`), keyed by
their keys and the probe, so its option is no part of a variant's key.
"""

from __future__ import annotations

from kit.measurements import Measurement, Option

MEASUREMENT = Measurement(
    name="floor",
    options=(
        Option(
            "floor",
            True,
            "trace the files the started service uses: the floor (root, local overlay2)",
            keyed="no",
        ),
    ),
    step="floor",
)
