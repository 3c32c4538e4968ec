"""Layer anatomy: each image's layers read once (from the engine's storage or the save stream,
:mod:`kit.measure.anatomy`) — per layer its instruction, tar and gzip bytes, files added,
modified and deleted, and the bytes wasted on files a later layer replaces (the ``layers``,
``wasted`` and ``rule_bytes`` tables; a phase of :mod:`kit.pipeline.variant`).
"""

from __future__ import annotations

from kit.measurements import Measurement, Option

MEASUREMENT = Measurement(
    name="anatomy",
    options=(
        Option(
            "anatomy",
            True,
            "read every layer of each image (the layers, wasted and rule_bytes tables)",
            keyed="always",
        ),
    ),
)
