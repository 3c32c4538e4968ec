"""Hand-made result rows for the results and narration tests (keyword arguments only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kit.model.results import Results
from kit.model.rows import ImageResult, RunInfo, TrialResult


def run_info(**overrides: Any) -> RunInfo:
    values: dict[str, Any] = {
        "run_id": "20261127T230000Z-abc123",
        "kit_version": "0.1.0",
        "engine_version": "20.10.24+dfsg1",
        "engine_api": "1.41",
        "storage_driver": "overlay2",
        "containerd_store": False,
        "engine_host": "http+docker://localhost",
        "host": "fixture-host",
        "profile": "local",
        "requested_profile": "auto",
        "timestamp_utc": "2026-11-27T23:00:00+00:00",
    }
    values.update(overrides)
    return RunInfo(**values)


def image_row(variant: str, **overrides: Any) -> ImageResult:
    """An ok row; pass ``status="failed"`` and friends for a failed one."""
    values: dict[str, Any] = {
        "app": "tiny",
        "variant": variant,
        "description": f"the {variant} variant",
        "status": "ok",
        "error": None,
        "error_type": None,
        "dockerfile": f"Dockerfile.{variant}",
        "dockerfile_sha256": "0" * 64,
        "stages": 1,
        "image_id": f"sha256:{variant}",
        "tag": f"kitexp/tiny:{variant}-local",
        "size_bytes": 1_000_000,
        "layers": 3,
        "history_steps": 7,
        "empty_steps": 4,
        "base_image": "kitbase/debian:12",
        "base_bytes": 117_000_000,
        "build_cold_s": 12.5,
        "build_warm_s": 0.75,
        "start_n": 0,
        "start_median_s": None,
        "start_iqr_s": None,
        "start_min_s": None,
        "start_max_s": None,
        "log_tail": None,
    }
    values.update(overrides)
    return ImageResult(**values)


def failed_row(variant: str, **overrides: Any) -> ImageResult:
    values: dict[str, Any] = {
        "status": "failed",
        "error": "build failed: RUN exit 3",
        "error_type": "BuildError",
        "image_id": None,
        "tag": None,
        "size_bytes": None,
        "layers": None,
        "history_steps": None,
        "empty_steps": None,
        "base_image": None,
        "base_bytes": None,
        "build_cold_s": None,
        "build_warm_s": None,
        "log_tail": "Step 2/2 : RUN exit 3\nThe command returned a non-zero code: 3",
    }
    values.update(overrides)
    return image_row(variant, **values)


def trials(
    variant: str, totals: Sequence[float | None], *, warmups: int = 0, **overrides: Any
) -> list[TrialResult]:
    """One trial row per total; the first ``warmups`` are flagged, ``None`` means failed."""
    rows = []
    for i, total in enumerate(totals):
        values: dict[str, Any] = {
            "app": "tiny",
            "variant": variant,
            "trial": i,
            "warmup": i < warmups,
            "status": "ok" if total is not None else "failed",
            "create_s": 0.01,
            "start_s": 0.05 if total is not None else None,
            "ready_s": None if total is None else total - 0.06,
            "total_s": total,
            "exit_code": 0 if total is not None else None,
            "error": None if total is not None else "container exited with code 1",
            "error_type": None if total is not None else "ContainerExitError",
        }
        values.update(overrides)
        rows.append(TrialResult(**values))
    return rows


def results(
    images: Sequence[ImageResult], trial_rows: Sequence[TrialResult] = (), **run: Any
) -> Results:
    return Results(
        run=run_info(**run),
        app="tiny",
        title="A tiny app",
        image_rows=tuple(images),
        trial_rows=tuple(trial_rows),
    )
