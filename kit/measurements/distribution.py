"""Distribution: push and pull of every variant through a registry, ``distribution`` trials
(base-present), and with ``fresh_host`` the same trials onto an empty extra engine — pull, then
start to ready (:mod:`kit.measure.transfer`; the ``distribution`` table). A payoffs step after
the variants (:mod:`kit.pipeline.payoffs`); the registry to use is a run option
(``registry``), not a measurement's.
"""

from __future__ import annotations

from kit.measurements import Measurement, Option

MEASUREMENT = Measurement(
    name="distribution",
    options=(
        Option(
            "distribution",
            0,
            "push/pull trials (0: none)",
            keyed="always",
            commands=("measure",),
        ),
        # Only when set: the payoffs keys of runs without it stay what they were.
        Option(
            "fresh_host",
            False,
            "with --distribution N: also pull each variant onto an empty extra engine and start "
            "it to ready (deploy time); with --capacity, fill that host with every variant (root)",
            commands=("measure",),
        ),
    ),
    step="payoffs",
)
