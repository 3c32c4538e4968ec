"""The layer cache: every layer's scan kept by its diff id, so that a layer is read once, ever.

A diff id is the sha256 of the layer's tar, so what a scan found (each entry's path, kind and
size; the tar, content and gzip sizes) can never change for it: a base shared by five variants,
or by later runs, is read the first time only, and an image's analysis then reads just its own
new layers (the image-level figures — efficiency, wasted bytes, files added/modified/deleted,
bytes under a prefix — are recombined from the layers every time). Image configs are kept the
same way, by image id (the sha256 of the config), so an image whose layers are all known needs
no export at all. On the containerd image store the engine's image id is the digest of the
image's manifest (or index), which names its config for good: ``images/`` keeps that link.

Where: ``<store>/.cache/layers/v<FORMAT>/`` beside the result store's tables (``--store``,
``KIT_STORE``), ``layers/<hex[:2]>/<hex>.json.gz``, ``configs/<hex[:2]>/<hex>`` and
``images/<hex[:2]>/<hex>``. Safe for several writers at once: each file is written to a temporary
name in its folder, then renamed over the final one, so a reader sees a whole file or none; a
damaged file is a miss (and is removed), never an error. A new ``FORMAT`` starts an empty folder and
removes the old ones; a gzip size computed another way
(:data:`~kit.measure.anatomy.gzipsize.METHOD`) is computed again. Bounded: past ``max_bytes`` the
least recently used files go; :meth:`LayerCache.clear` (or removing the folder) empties it."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from kit.measure.anatomy.gzipsize import METHOD
from kit.measure.anatomy.layertar import KINDS, LayerTar

FORMAT = 2  # 2: link_bytes
BLOB = "the gzip blob's own size"  # the method of a layer that came compressed
DEFAULT_MAX_BYTES = 256 << 20
_STALE_TMP_S = 3600  # a temporary file older than this was left by a writer that died

log = logging.getLogger("kit")


def _hex(digest: str) -> str | None:
    algorithm, _, hexa = digest.partition(":")
    ok = algorithm == "sha256" and len(hexa) == 64 and all(c in "0123456789abcdef" for c in hexa)
    return hexa if ok else None


class LayerCache:
    """Scans by diff id and configs by image id, under ``root`` (see the module's docstring).

    ``read=False`` (a forced run) writes what it reads but finds nothing: everything is read
    again."""

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, read: bool = True):
        self.root = Path(root)
        self.dir = self.root / f"v{FORMAT}"
        self.max_bytes = max_bytes
        self.read = read

    @classmethod
    def beside(cls, store: Path, *, read: bool = True) -> LayerCache:
        """The cache of the result store at ``store``."""
        return cls(Path(store) / ".cache" / "layers", read=read)

    def __repr__(self) -> str:
        return f"LayerCache({str(self.dir)!r})"

    def _path(self, kind: str, digest: str) -> Path | None:
        hexa = _hex(digest)
        if hexa is None:
            return None
        return self.dir / kind / hexa[:2] / (hexa + (".json.gz" if kind == "layers" else ""))

    def get(self, diff_id: str, *, compressed: bool) -> LayerTar | None:
        """The layer's scan; None when unknown, or when ``compressed`` and its gzip size is
        missing or was computed another way."""
        path = self._path("layers", diff_id)
        if not self.read or path is None:
            return None
        try:
            doc = json.loads(gzip.decompress(path.read_bytes()))
            scan = _scan(doc, diff_id)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            log.warning("layer cache: %s is damaged (%s), reading the layer again", path, exc)
            path.unlink(missing_ok=True)
            return None
        if compressed and (
            scan.compressed_bytes is None or doc.get("method") not in (METHOD, BLOB)
        ):
            return None
        _touch(path)
        return scan

    def put(self, diff_id: str, scan: LayerTar) -> None:
        path = self._path("layers", diff_id)
        if path is None:
            return
        kinds, sizes = zip(*scan.entries.values(), strict=True) if scan.entries else ((), ())
        doc = {
            "format": FORMAT,
            "diff_id": diff_id,
            "tar_bytes": scan.tar_bytes,
            "content_bytes": scan.content_bytes,
            "link_bytes": scan.link_bytes,
            "compressed_bytes": scan.compressed_bytes,
            "method": None
            if scan.compressed_bytes is None
            else (BLOB if scan.from_blob else METHOD),
            "paths": list(scan.entries),
            "kinds": "".join(kinds),
            "sizes": list(sizes),
        }
        self._write(path, gzip.compress(json.dumps(doc).encode(), 1, mtime=0))

    def config(self, image_id: str) -> bytes | None:
        """The config of ``image_id``: a config digest, or an engine image id linked to one."""
        path = self._path("configs", image_id)
        if not self.read or path is None:
            return None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            linked = self._linked(image_id)
            return self.config(linked) if linked is not None and linked != image_id else None
        except OSError:
            return None
        if f"sha256:{hashlib.sha256(data).hexdigest()}" != image_id:
            path.unlink(missing_ok=True)
            return None
        _touch(path)
        return data

    def link_image(self, image_id: str, config_id: str) -> None:
        """Remember that the engine's ``image_id`` is the image whose config is ``config_id``."""
        path = self._path("images", image_id)
        if path is not None and _hex(config_id) is not None and image_id != config_id:
            self._write(path, config_id.encode())

    def _linked(self, image_id: str) -> str | None:
        path = self._path("images", image_id)
        if path is None:
            return None
        try:
            linked = path.read_text().strip()
        except (OSError, UnicodeDecodeError):
            return None
        if _hex(linked) is None:
            path.unlink(missing_ok=True)
            return None
        _touch(path)
        return linked

    def put_config(self, image_id: str, data: bytes) -> None:
        path = self._path("configs", image_id)
        if path is not None and f"sha256:{hashlib.sha256(data).hexdigest()}" == image_id:
            self._write(path, data)

    def _write(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            # A cache that cannot be written costs time, not results.
            log.warning("layer cache: cannot write %s (%s)", path, exc)
            return
        self.prune()

    def size_bytes(self) -> int:
        return sum(size for _, _, size in _files(self.dir))

    def prune(self) -> int:
        """Remove old formats, dead writers' temporary files and, past ``max_bytes``, the least
        recently used files; return the bytes removed."""
        freed = 0
        if self.root.is_dir():
            for other in self.root.iterdir():
                if other.is_dir() and other.name.startswith("v") and other != self.dir:
                    shutil.rmtree(other, ignore_errors=True)
        files = sorted(_files(self.dir))
        total = sum(size for _, _, size in files)
        now = time.time()
        for mtime, path, size in files:
            stale = path.name.startswith(".tmp-") and now - mtime > _STALE_TMP_S
            if not stale and total - freed <= self.max_bytes:
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                freed += size
        return freed

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _files(folder: Path) -> list[tuple[float, Path, int]]:
    found = []
    for dirpath, _, names in os.walk(folder):
        for name in names:
            path = Path(dirpath) / name
            with contextlib.suppress(FileNotFoundError):
                st = path.stat()
                found.append((st.st_mtime, path, st.st_size))
    return found


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def _scan(doc: dict[str, Any], diff_id: str) -> LayerTar:
    if doc["format"] != FORMAT or doc["diff_id"] != diff_id:
        raise ValueError("another format or another layer")
    paths, kinds, sizes = doc["paths"], doc["kinds"], doc["sizes"]
    if not len(paths) == len(kinds) == len(sizes) or set(kinds) - set(KINDS):
        raise ValueError("entries do not add up")
    compressed = doc["compressed_bytes"]
    return LayerTar(
        diff_id,
        dict(zip(paths, zip(kinds, map(int, sizes), strict=True), strict=True)),
        int(doc["tar_bytes"]),
        int(doc["content_bytes"]),
        None if compressed is None else int(compressed),
        from_blob=doc.get("method") == BLOB,
        link_bytes=int(doc["link_bytes"]),
    )
