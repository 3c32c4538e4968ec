"""The floor step: trace the smallest working variant's service once, then measure every variant
against the files it used (the method is :mod:`kit.measure.floor.trace`'s)."""

from __future__ import annotations

from dataclasses import replace

from kit.engine import Engine
from kit.errors import EngineGoneError, KitError
from kit.inputs.app import App
from kit.measure.floor.trace import METHOD, Floor, measure_floor, x_floor
from kit.model.results import Results
from kit.model.rows import FloorRow, ImageResult


def with_floor(
    engine: Engine, app: App, rows: list[ImageResult]
) -> tuple[list[ImageResult], list[FloorRow]]:
    """Each ok row with the floor and its ×floor, and the floor's files as rows."""
    working = sorted(
        (r for r in rows if r.status == "ok" and r.size_bytes and r.tag),
        key=lambda r: r.size_bytes or 0,
    )
    if not working:
        return rows, []
    traced = working[0]
    try:
        found = measure_floor(engine, str(traced.tag), app.probe, app.limits)
    except EngineGoneError:
        raise
    except KitError as exc:
        # The floor is a measurement of its own: without it the rest still stands.
        found = Floor(None, (), METHOD, f"the traced run of {traced.variant} failed: {exc}")
    note = found.reason or f"traced on {traced.variant} ({found.method})"
    measured = [
        replace(
            r,
            floor_bytes=found.floor_bytes,
            x_floor=x_floor(r.size_bytes, found) if r.size_bytes else None,
            floor_note=note,
        )
        if r.status == "ok"
        else r
        for r in rows
    ]
    files = [FloorRow(app.name, traced.variant, f.path, f.bytes) for f in found.files]
    return measured, files


def reused_floor(hit: Results, rows: list[ImageResult]) -> tuple[list[ImageResult], list[FloorRow]]:
    """The stored floor applied to this run's rows (x_floor recomputed from each size)."""
    traced = next((r for r in hit.image_rows if r.floor_bytes), None)
    if traced is None:
        return rows, []
    floor = int(traced.floor_bytes or 0)
    measured = [
        replace(
            r,
            floor_bytes=floor,
            x_floor=r.size_bytes / floor if r.size_bytes else None,
            floor_note=traced.floor_note,
        )
        if r.status == "ok"
        else r
        for r in rows
    ]
    return measured, list(hit.floor_rows)
