"""The bytes a push moved: read from the kit's own registry's storage, or from the engine's
per-layer report when the registry is someone else's (see :mod:`push_pull`)."""

from __future__ import annotations

from collections.abc import Sequence

from kit.engine import TransferLog
from kit.engine.transfers import PUSH_SKIPPED
from kit.errors import RegistryError
from kit.host.manifest import Manifest
from kit.measure.transfer.pull import short


def pushed_bytes_from_storage(manifest: Manifest, before: frozenset[str]) -> int:
    """Bytes of the manifest's blobs the registry did not already store before the push."""
    return sum(blob.size for blob in manifest.blobs if blob.digest not in before)


def pushed_bytes_from_events(manifest: Manifest, diff_ids: Sequence[str], log: TransferLog) -> int:
    """Bytes the engine said it uploaded; manifest layers are in ``RootFS.Layers`` order. The
    classic store names a layer by its diff id, the containerd store by its blob digest."""
    if len(diff_ids) != len(manifest.layers):
        raise RegistryError(
            f"the manifest lists {len(manifest.layers)} layers, the image {len(diff_ids)}"
        )
    moved = sum(
        layer.size
        for layer, diff_id in zip(manifest.layers, diff_ids, strict=True)
        if _pushed(log, diff_id, layer.digest)
    )
    layers = {layer.digest for layer in manifest.layers}
    attached = sum(b.size for b in manifest.blobs if b.digest not in layers)
    return attached + moved


def _pushed(log: TransferLog, diff_id: str, digest: str) -> bool:
    return any(log.moved(short(key), PUSH_SKIPPED) for key in (diff_id, digest))
