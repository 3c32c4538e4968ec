"""Layers read from a local overlay2 engine's own storage instead of a ``docker save`` stream.

dockerd keeps, for every layer, ``image/overlay2/layerdb/sha256/<chain id>/`` under its data
root (``docker info``: DockerRootDir): ``diff`` (the diff id), ``cache-id`` (the layer's folder,
``overlay2/<cache-id>/diff``) and ``tar-split.json.gz``, the layer tar's headers and padding as
they were, with each regular file's bytes left out. It is what the engine itself reassembles a
layer from when it exports or pushes it, so the tar read here is byte for byte the one a save
stream carries (a test checks its sha256 against the diff id): the same entries, tar bytes and
gzip input. Only the image's own layers are read, never an export of the whole image, and a
file's bytes are read only when its gzip size is wanted.

It needs the data root to be readable here (root, a local engine) and the overlay2 driver
without the containerd image store; :meth:`EngineStorage.open` says why not otherwise, and the
caller falls back to the save stream.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path

from kit.engine import Engine
from kit.errors import LayerError
from kit.measure.anatomy.blocks import FileSpan
from kit.measure.anatomy.gzipsize import GzipSizer
from kit.measure.anatomy.layertar import LayerTar, clean_path
from kit.measure.anatomy.tarsplit import ENTRY, SEGMENT, TarSplitError, entry_name, lines, walk

#: What a damaged tar-split or layer folder raises while it is read.
_DAMAGED = (OSError, ValueError, binascii.Error, zlib.error, EOFError)
_CHUNK = 1 << 20


class StorageUnavailable(Exception):
    """This image's layers cannot be read from the engine's storage (the reason says why)."""


def chain_ids(diff_ids: Sequence[str]) -> list[str]:
    """The engine's chain ids: a layer's identity together with everything below it."""
    chains: list[str] = []
    for diff_id in diff_ids:
        if chains:
            text = f"{chains[-1]} {diff_id}".encode()
            chains.append(f"sha256:{hashlib.sha256(text).hexdigest()}")
        else:
            chains.append(diff_id)
    return chains


def _hex(digest: str) -> str:
    algorithm, _, hexa = digest.partition(":")
    if algorithm != "sha256" or len(hexa) != 64 or not all(c in "0123456789abcdef" for c in hexa):
        raise StorageUnavailable(f"{digest!r} is not a sha256 digest")
    return hexa


@dataclass(frozen=True)
class EngineStorage:
    root: Path  # the engine's data root

    @classmethod
    def open(cls, engine: Engine) -> EngineStorage:
        """The engine's storage, or :class:`StorageUnavailable` saying why it cannot be read."""
        info = engine.info()
        if info.containerd_store:
            raise StorageUnavailable("the engine uses the containerd image store")
        if info.storage_driver != "overlay2":
            raise StorageUnavailable(f"the storage driver is {info.storage_driver or 'unknown'}")
        if not info.root_dir:
            raise StorageUnavailable("the engine does not report its data root")
        root = Path(info.root_dir)
        layerdb = root / "image" / "overlay2" / "layerdb" / "sha256"
        if not os.access(layerdb, os.R_OK | os.X_OK):
            raise StorageUnavailable(f"{layerdb} is not readable here (not root, or remote)")
        return cls(root)

    def config(self, image_id: str) -> bytes:
        """The image's config exactly as the engine stores (and exports) it."""
        path = self.root / "image" / "overlay2" / "imagedb" / "content" / "sha256" / _hex(image_id)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StorageUnavailable(f"cannot read {path}: {exc.strerror}") from exc
        # Content-addressed: a match proves this is the engine's image, not a namesake's.
        if f"sha256:{hashlib.sha256(data).hexdigest()}" != image_id:
            raise StorageUnavailable(f"{path} is not the config of {image_id}")
        return data

    def _layer(self, diff_ids: Sequence[str], index: int) -> tuple[Path, Path]:
        """The layer's tar-split and folder, checked against the engine's own records."""
        diff_id = diff_ids[index]
        layer = self.root / "image/overlay2/layerdb/sha256" / _hex(chain_ids(diff_ids)[index])
        try:
            recorded = (layer / "diff").read_text().strip()
            cache_id = (layer / "cache-id").read_text().strip()
        except OSError as exc:
            raise StorageUnavailable(f"cannot read layer {layer}: {exc.strerror}") from exc
        tarsplit = layer / "tar-split.json.gz"
        folder = self.root / "overlay2" / cache_id / "diff"
        if recorded != diff_id or not cache_id or "/" in cache_id:
            raise StorageUnavailable(f"{layer} does not hold layer {diff_id}")
        if not tarsplit.is_file() or not folder.is_dir():
            raise StorageUnavailable(f"layer {diff_id} has no tar-split or no folder")
        return tarsplit, folder

    def layer_tar(self, ref: str, diff_ids: Sequence[str], index: int) -> Iterator[bytes]:
        """The layer's tar, reassembled as the engine would export it (for checks)."""
        tarsplit, folder = self._layer(diff_ids, index)
        diff_id = diff_ids[index]
        root = str(folder)
        try:
            for entry in lines(tarsplit):
                if entry.get("type") == SEGMENT:
                    yield base64.b64decode(entry.get("payload") or b"")
                elif entry.get("type") == ENTRY and (size := int(entry.get("size") or 0)):
                    path = f"{root}/{clean_path(entry_name(entry), ref, f'layer {diff_id}')}"
                    for offset in range(0, size, _CHUNK):
                        yield FileSpan(path, size, offset, min(_CHUNK, size - offset)).read()
        except _DAMAGED as exc:
            raise LayerError(
                f"{ref}: cannot reassemble layer {diff_id} from {tarsplit}: {exc}"
            ) from exc

    def scan(
        self,
        ref: str,
        diff_ids: Sequence[str],
        index: int,
        *,
        compress: bool,
        pool: Executor | None,
    ) -> LayerTar:
        """One layer of the image, read from its tar-split and its folder."""
        diff_id = diff_ids[index]
        tarsplit, folder = self._layer(diff_ids, index)
        sizer = GzipSizer(pool) if compress else None
        try:
            scan = walk(tarsplit, folder, sizer, ref, diff_id)
            compressed = sizer.close() if sizer is not None else None
        except (TarSplitError, *_DAMAGED) as exc:
            raise LayerError(
                f"{ref}: cannot read layer {diff_id} from {tarsplit} and {folder}: {exc}"
            ) from exc
        return replace(scan, compressed_bytes=compressed)
