"""Images per host: the capacity model (from ``docker system df`` on the user's engine), and —
with ``--fresh-host --capacity`` — what a fresh host holding every variant really uses on disk.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from kit.model.failures import cause_of
from kit.model.results import Results
from kit.util.units import MB, fmt_bytes


def _mb(value: float | None) -> float | None:
    return None if value is None else round(value / MB, 1)


def _each(values: Mapping[str, str]) -> str:
    return ", ".join(f"{name} {text}" for name, text in values.items())


def capacity(results: Results) -> pd.DataFrame:
    """Per variant, smallest first: shared and unique bytes and how many different images like
    it fit on the host; then all the app's variants stored separately and sharing layers."""
    rows = sorted(results.capacity_rows, key=lambda c: (c.size_bytes, c.variant))
    if not rows:
        return pd.DataFrame(columns=["variant", "size_MB", "shared_MB", "unique_MB"])
    cap = fmt_bytes(rows[0].capacity_bytes)
    table: list[dict[str, object]] = [
        {
            "variant": c.variant,
            "size_MB": _mb(c.size_bytes),
            "shared_MB": _mb(c.shared_bytes),
            "unique_MB": _mb(c.unique_bytes),
            f"fit in {cap}, layers shared": "unbounded" if c.fit_shared is None else c.fit_shared,
            f"fit in {cap}, nothing shared": c.fit_separate,
        }
        for c in rows
    ]
    n, app = len(rows), rows[0]
    table.append({"variant": f"all {n}, stored separately", "size_MB": _mb(app.app_separate_bytes)})
    table.append({"variant": f"all {n}, sharing layers", "size_MB": _mb(app.app_together_bytes)})
    if app.fresh_layers_bytes is not None:
        # Measured, not modelled: the fresh host after pulling every variant.
        layers = _mb(app.fresh_layers_bytes)
        table.append({"variant": f"all {n} on a fresh host, measured: layers", "size_MB": layers})
        disk = _mb(app.fresh_data_root_bytes)
        table.append({"variant": f"all {n} on a fresh host, measured: data root", "size_MB": disk})
    frame = pd.DataFrame(table)
    for column in frame.columns[4:]:
        # The totals rows have no fit: keep the counts integers rather than NaN-padded floats.
        if "unbounded" not in set(frame[column]):
            frame[column] = frame[column].astype("Int64")
    return frame


def capacity_story(results: Results) -> list[str]:
    rows = sorted(results.capacity_rows, key=lambda c: (c.size_bytes, c.variant))
    if not rows:
        broke = cause_of(results.failures, ["images per host"])
        # An empty table alone would read as "not asked for".
        return [] if broke is None else [f"**Not measured** — {broke}."]
    fits = {
        c.variant: f"{'unbounded' if c.fit_shared is None else c.fit_shared} vs "
        f"{c.fit_separate} ({fmt_bytes(c.unique_bytes)} of {fmt_bytes(c.size_bytes)} its own)"
        for c in rows
    }
    parts = [
        f"Different images like each variant that fit in {fmt_bytes(rows[0].capacity_bytes)}, "
        f"sharing their base layers vs storing everything: {_each(fits)}."
    ]
    together, separate = rows[0].app_together_bytes, rows[0].app_separate_bytes
    if together is not None:
        parts.append(
            f"All {len(rows)} variants take {fmt_bytes(together)} on the engine sharing layers, "
            f"{fmt_bytes(separate)} stored separately."
        )
    return parts


def fill_story(results: Results) -> list[str]:
    """The model against the fresh host filled with every variant, when it was measured."""
    rows = results.capacity_rows
    if rows and rows[0].fresh_layers_bytes is None:
        broke = cause_of(results.failures, ["fresh host fill"])
        return [] if broke is None else [f"**Not measured** — {broke}."]
    if not rows:
        return []
    app = rows[0]
    model = app.app_together_bytes
    versus = "" if model is None else f" (the model above: {fmt_bytes(model)} sharing layers)"
    disk = app.fresh_data_root_bytes
    return [
        f"Measured on a fresh host holding all {len(rows)} variants: `docker system df` counts "
        f"{fmt_bytes(app.fresh_layers_bytes)} of layers{versus}, and the engine's data root "
        f"takes {fmt_bytes(disk)} on disk (its metadata and the file system's blocks included)."
    ]
