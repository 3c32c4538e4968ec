"""What one variant's measurement gives: :class:`VariantOutcome` (its image row and the rows of
every per-variant table), and the rows made from what the measuring modules return."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from typing import Any

from kit.errors import KitError
from kit.inputs.app import App, RejectedVariant, Variant
from kit.measure.anatomy.layers import ImageAnatomy
from kit.model.results import Results
from kit.model.rows import (
    FileRow,
    ImageResult,
    LayerRow,
    PackageRow,
    RuleBytes,
    TrialResult,
    WastedRow,
)
from kit.model.rules import SIZE_RULE_PATHS
from kit.model.samples import StageSize, StartSample, Status
from kit.model.tables import TableRows


@dataclass(frozen=True)
class VariantOutcome:
    """Everything measured for one variant; only ``row`` is certain to be there."""

    row: ImageResult
    trials: tuple[TrialResult, ...] = ()
    layers: tuple[LayerRow, ...] = ()
    wasted: tuple[WastedRow, ...] = ()
    rule_bytes: tuple[RuleBytes, ...] = ()
    stages: tuple[StageSize, ...] = ()
    files: tuple[FileRow, ...] = ()
    packages: tuple[PackageRow, ...] = ()
    #: The registered measurements' tables (:mod:`kit.measurements`), this variant's rows.
    measured: tuple[TableRows, ...] = ()


def image_row(
    app: App, variant: Variant | RejectedVariant, status: Status, **fields: Any
) -> ImageResult:
    """An image row: the variant's identity plus whatever was measured (or the error)."""
    return ImageResult(
        app=app.name,
        variant=variant.name,
        description=variant.description if isinstance(variant, Variant) else "",
        status=status,
        dockerfile=str(variant.dockerfile.relative_to(app.directory)),
        dockerfile_sha256=variant.sha256,
        stages=variant.stages if isinstance(variant, Variant) else 0,
        **fields,
    )


def failed_row(
    app: App, variant: Variant | RejectedVariant, exc: KitError, **measured: Any
) -> ImageResult:
    return image_row(app, variant, "failed", **failed_fields(exc), **measured)


def failed_fields(exc: KitError) -> dict[str, Any]:
    """The columns of an image row that say why it failed."""
    return {
        "error": str(exc.message),
        "error_type": exc.kind,
        "log_tail": "\n".join(exc.log_tail) or None,
    }


def trial_rows(app: App, variant: Variant, samples: list[StartSample]) -> tuple[TrialResult, ...]:
    return tuple(
        TrialResult(
            app=app.name,
            variant=variant.name,
            status="failed" if s.error else "ok",
            **dataclasses.asdict(s),
        )
        for s in samples
    )


def anatomy_rows(
    app: str, variant: str, anatomy: ImageAnatomy
) -> tuple[list[LayerRow], list[WastedRow], list[RuleBytes]]:
    """One image's layer anatomy as rows of the layers, wasted and rule_bytes tables."""
    layers = [
        LayerRow(app=app, variant=variant, **dataclasses.asdict(layer)) for layer in anatomy.layers
    ]
    wasted = [
        WastedRow(app, variant, w.path, w.wasted_bytes, ", ".join(map(str, w.layers)))
        for w in anatomy.top_wasted
    ]
    rules = [
        RuleBytes(
            app,
            variant,
            rule,
            ", ".join(prefixes),
            sum(anatomy.prefix_bytes.get(prefix, 0) for prefix in prefixes),
        )
        for rule, prefixes in SIZE_RULE_PATHS.items()
        if prefixes
    ]
    return layers, wasted, rules


def reused(hit: Results, variant: str) -> VariantOutcome:
    """A stored variant's measurements, marked with the run that really measured them."""
    row = next(r for r in hit.image_rows if r.variant == variant and r.status == "ok")
    origin = row.cached_from or hit.run.run_id
    # The floor is decided for the app as a whole, after every variant, so it is not carried.
    row = replace(row, cached_from=origin, floor_bytes=None, x_floor=None, floor_note=None)

    def mine(rows: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(r for r in rows if r.variant == variant)

    return VariantOutcome(
        row,
        mine(hit.trial_rows),
        mine(hit.layer_rows),
        mine(hit.wasted_rows),
        mine(hit.rule_bytes),
        mine(hit.stage_rows),
        mine(hit.file_rows),
        mine(hit.package_rows),
        tuple(TableRows(t.name, mine(t.rows)) for t in hit.measured),
    )


def merged(outcomes: tuple[VariantOutcome, ...] | list[VariantOutcome]) -> tuple[TableRows, ...]:
    """Every variant's rows of each registered table, one table each, in the order first seen."""
    names = list(dict.fromkeys(t.name for o in outcomes for t in o.measured))
    return tuple(
        TableRows(n, tuple(r for o in outcomes for t in o.measured if t.name == n for r in t.rows))
        for n in names
    )
