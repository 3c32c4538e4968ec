"""Rebuild after a source edit: ``rebuild`` trials per variant (:mod:`kit.measure.rebuild`; the
``rebuild`` table), a payoffs step after the variants (:mod:`kit.pipeline.payoffs`).
"""

from __future__ import annotations

from kit.measurements import Measurement, Option

MEASUREMENT = Measurement(
    name="rebuild",
    options=(
        Option(
            "rebuild",
            0,
            "rebuild-after-edit trials (0: none)",
            keyed="always",
            commands=("measure",),
        ),
    ),
    step="payoffs",
)
