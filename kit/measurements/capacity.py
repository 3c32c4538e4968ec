"""Capacity: how many images of each variant fit on a host (10 GB; :mod:`kit.measure.capacity`;
the ``capacity`` table), a payoffs step after the variants (:mod:`kit.pipeline.payoffs`).
"""

from __future__ import annotations

from kit.measurements import Measurement, Option

MEASUREMENT = Measurement(
    name="capacity",
    options=(
        Option("capacity", False, "images per host (10 GB)", keyed="always", commands=("measure",)),
    ),
    step="payoffs",
)
