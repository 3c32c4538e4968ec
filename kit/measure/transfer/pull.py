"""One pull, timed: the image a variant is in the kit's registry (:class:`RegistryImage`, the
handle both the push/pull trials and the fresh host use) and :func:`timed_pull`, the seconds an
engine takes to pull it and the bytes it downloaded.

``pulled_bytes`` is Σ manifest sizes of the layers the engine reported downloading, plus the
config unless the engine still had it: on a host that keeps the base, the layers it already has
are "Already exists" and not counted; on an empty host it is the whole compressed image.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kit.engine import Engine, TransferLog
from kit.engine.transfers import PULL_SKIPPED
from kit.errors import RegistryError
from kit.host.manifest import Manifest
from kit.host.registry import Registry, slug

#: The tag every variant is pushed under in the kit's registry.
TAG = "kit"


def short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]  # as push and pull progress print a layer


def pulled_bytes(manifest: Manifest, log: TransferLog, *, had_config: bool) -> int:
    """Bytes of the layers the engine downloaded, plus the config unless it still had it."""
    moved = sum(
        layer.size for layer in manifest.layers if log.moved(short(layer.digest), PULL_SKIPPED)
    )
    return moved + (0 if had_config else manifest.config.size)


@dataclass(frozen=True)
class RegistryImage:
    """A variant's image as the registry holds it: ``<registry host>/<slug>:kit``; ``image_id``
    is the source engine's."""

    registry: Registry
    variant: str
    image_id: str

    @property
    def path(self) -> str:
        return slug(self.variant)

    @property
    def remote(self) -> str:
        return f"{self.registry.host}/{self.path}"

    @property
    def ref(self) -> str:
        return f"{self.remote}:{TAG}"

    def alive(self, _event: Mapping[str, Any]) -> None:
        """Told each transfer event: the engine retries a dead registry for about a minute;
        the kit knows sooner."""
        if not self.registry.running():
            raise RegistryError(f"the registry at {self.registry.url} stopped during the transfer")


@dataclass(frozen=True)
class Pulled:
    seconds: float
    bytes: int


def timed_pull(
    engine: Engine,
    image: RegistryImage,
    manifest: Manifest,
    *,
    had_config: bool,
    on_event: Callable[[Mapping[str, Any]], None] | None = None,
    host: str = "the",
) -> Pulled:
    """Pull ``image`` onto ``engine`` (timed; ``on_event``: default ``image.alive``) and check
    it came back as the image ``manifest`` describes (the puller's store may give it another
    id than the source's: :meth:`Manifest.same_image`); ``host`` names whose pull it was in the
    error."""
    started = time.perf_counter()
    log = engine.transfers.pull(image.remote, TAG, on_event=on_event or image.alive)
    seconds = time.perf_counter() - started
    back = engine.images.inspect(image.ref)
    if back is None or not manifest.same_image(back.id, back.layers):
        got = "nothing" if back is None else f"{back.id} (layers {len(back.layers)})"
        raise RegistryError(
            f"{host} pull of {image.ref} gave {got}, not the image pushed from "
            f"{image.image_id} (config {manifest.config.digest})"
        )
    return Pulled(seconds, pulled_bytes(manifest, log, had_config=had_config))
