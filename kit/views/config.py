"""The images' runtime config (the ``config`` table, :mod:`kit.measurements.config`): who each
variant runs as, and what a slimmer release kept of its base's entrypoint and environment."""

from __future__ import annotations

import pandas as pd

from kit.model.results import Results

COLUMNS = [
    "variant",
    "user",
    "runs_as_root",
    "entrypoint",
    "cmd",
    "workdir",
    "env_vars",
    "exposed_ports",
    "healthcheck",
]


def table(results: Results) -> pd.DataFrame:
    """One row per variant measured with ``config=True`` (empty when it was not asked for)."""
    return results.table("config")[COLUMNS].reset_index(drop=True)


def root_variants(results: Results) -> list[str]:
    """The variants whose image runs as root."""
    return [r.variant for r in results.rows("config") if r.runs_as_root]
