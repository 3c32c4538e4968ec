"""The one path to a measurement: reused from the store when its inputs are unchanged (its cache
key, :mod:`kit.pipeline.cache`) *and* what it measured is still there, else measured under the
engine's lock — for a variant, the floor, the payoffs, and whatever is measured next.

A measurement says what it is (:class:`Measured`): its name and key, how to measure it, how to
take it from the stored run that measured it, and, for an app-level step, when a stored run is
usable and when a new one is kept. :class:`Reuse` is the store and the keys behind one
interface; ``Reuse.reuse_or_measure`` is the only place that asks "was this measured before?".

A variant is found by the key its stored image row carries, and only while its tag still names
its image on the engine: after ``kit clean --images``, a ``docker image prune``, or another build
that took the tag, whatever needs the image (push and pull, the floor, a diff) would find nothing
or another image, so the variant is measured again and the log says why. An app-level step (the
floor, the payoffs) is found by the key its run recorded (``steps`` in the run record); it is
keyed by the images it measured too, and one that came back incomplete or failed is not kept.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from kit.engine import Engine
from kit.model.results import Results
from kit.model.store import Store

log = logging.getLogger("kit")
T = TypeVar("T")


def _always(_: object) -> bool:
    return True


@dataclass(frozen=True)
class Measured(Generic[T]):
    """One measurement the store may already hold."""

    name: str  # a variant's name, or an app-level step's ("floor", "payoffs")
    key: str  # the digest of its inputs
    measure: Callable[[], T]
    stored: Callable[[Results], T]  # its value, from the stored run that measured it
    scope: Literal["variant", "app"] = "app"
    #: An app-level step: whether a stored run that measured it is usable (complete, say).
    usable: Callable[[Results], bool] = _always
    #: An app-level step: whether what was measured now is recorded for reuse (not a failure).
    keep: Callable[[T], bool] = _always


def image_there(engine: Engine, tag: object, image_id: object) -> bool:
    """Whether ``tag`` still names the image ``image_id`` on the engine."""
    image = engine.images.inspect(str(tag)) if tag else None
    return image is not None and image.id == image_id


@dataclass
class Reuse:
    """The store and the cache keys behind one interface, for one run of one app."""

    store: Store | None  # None: nothing is reused (no store, or forced)
    engine: Engine
    app: str
    lock: Callable[[], contextlib.AbstractContextManager[None]]
    #: The app-level steps measured (and kept) in this run, by key: written with the run.
    steps: dict[str, str] = field(default_factory=dict)

    def reuse_or_measure(self, item: Measured[T]) -> T:
        """``item`` from the stored run that measured it from the same inputs, else measured."""
        hit = None if self.store is None else self._find(self.store, item)
        if hit is not None:
            log.info("%s: unchanged since run %s, reused", item.name, hit.run.run_id)
            value = item.stored(hit)
        else:
            with self.lock():
                value = item.measure()
        if item.scope == "app" and item.keep(value):
            # Reused or measured, this run holds it too; what is not kept is retried next time.
            self.steps[item.name] = item.key
        return value

    def _find(self, store: Store, item: Measured[T]) -> Results | None:
        if item.scope == "app":
            return store.find_step(self.app, item.name, item.key, item.usable)
        return self._variant(store, item.name, item.key)

    def _variant(self, store: Store, variant: str, key: str) -> Results | None:
        """The latest stored run to reuse for ``variant`` under ``key``, if its image is there."""
        found = store.find(
            self.app,
            variant_key=(variant, key),
            usable=lambda row: image_there(self.engine, row["tag"], row["image_id"]),
        )
        if found is None and (stale := store.find(self.app, variant_key=(variant, key))):
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
