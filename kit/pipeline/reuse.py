"""Whether a stored measurement may be reused: its inputs unchanged (the cache key,
:mod:`kit.pipeline.cache`) *and* what it measured still there.

A variant's row is reused only while its tag still names its image on the engine: after
``kit clean --images``, a ``docker image prune``, or another build that took the tag, whatever
needs the image (push and pull, the floor, a diff) would find nothing or another image, so the
variant is measured again and the log says why. An app-level step (the floor, the payoffs) is
keyed by the images it measured too, and a payoffs run that came back without a part it was asked
for (no capacity table, say) is never kept for reuse.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kit.engine import Engine
from kit.model.results import Results
from kit.model.rows import ImageResult
from kit.model.store import Store
from kit.pipeline.payoffs import Payoffs

log = logging.getLogger("kit")


def image_there(engine: Engine, tag: object, image_id: object) -> bool:
    """Whether ``tag`` still names the image ``image_id`` on the engine."""
    image = engine.images.inspect(str(tag)) if tag else None
    return image is not None and image.id == image_id


def reusable(store: Store, engine: Engine, app: str, variant: str, key: str) -> Results | None:
    """The latest stored run to reuse for ``variant`` under ``key``, if its image is there."""
    found = store.find(
        app,
        variant_key=(variant, key),
        usable=lambda row: image_there(engine, row["tag"], row["image_id"]),
    )
    if found is None and (stale := store.find(app, variant_key=(variant, key))) is not None:
        row = next(r for r in stale.image_rows if r.variant == variant and r.status == "ok")
        log.info(
            "%s: unchanged since run %s, but its image %s is no longer on the engine as %s: "
            "measured again",
            variant,
            stale.run.run_id,
            str(row.image_id)[:19],
            row.tag,
        )
    return found


def step_images(rows: Sequence[ImageResult]) -> dict[str, str]:
    """What an app-level step measured: it is reused only for these very images."""
    return {r.variant: str(r.image_id) for r in rows if r.status == "ok"}


def payoffs_complete(
    payoffs: Payoffs | Results,
    asked: tuple[int, int, bool],
    rows: Sequence[ImageResult],
    *,
    fresh_host: bool = False,
) -> bool:
    """Every part asked for (distribution, rebuild, capacity; the fresh-host scenario) has rows,
    when any variant was built: an empty part is a failure, never a result to keep or reuse."""
    found = (
        (payoffs.distribution, payoffs.rebuild, payoffs.capacity)
        if isinstance(payoffs, Payoffs)
        else (payoffs.distribution_rows, payoffs.rebuild_rows, payoffs.capacity_rows)
    )
    built = any(r.status == "ok" and r.tag for r in rows)
    fresh = [d for d in found[0] if d.scenario == "fresh-host"]
    if built and fresh_host and not fresh:
        return False
    return not built or all(part for want, part in zip(asked, found, strict=True) if want)
