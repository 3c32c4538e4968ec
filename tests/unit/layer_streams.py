"""Hand-built ``docker save`` streams for the layer-anatomy tests, in both layouts."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kit.measure.anatomy.storage import chain_ids

Member = tuple[tarfile.TarInfo, bytes]


def _info(path: str, kind: bytes, size: int = 0, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.type = kind
    info.size = size
    info.linkname = link
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.mtime = 1_700_000_000
    return info


def reg(path: str, size: int, fill: bytes = b"x") -> Member:
    data = (fill * (size // len(fill) + 1))[:size]
    return _info(path, tarfile.REGTYPE, size), data


def blob(path: str, data: bytes) -> Member:
    return _info(path, tarfile.REGTYPE, len(data)), data


def dirent(path: str) -> Member:
    return _info(path, tarfile.DIRTYPE), b""


def whiteout(path: str) -> Member:
    parent, _, name = path.rpartition("/")
    return reg(f"{parent}/.wh.{name}" if parent else f".wh.{name}", 0)


def opaque(directory: str) -> Member:
    return reg(f"{directory}/.wh..wh..opq" if directory else ".wh..wh..opq", 0)


def symlink(path: str, target: str) -> Member:
    return _info(path, tarfile.SYMTYPE, link=target), b""


def hardlink(path: str, target: str) -> Member:
    return _info(path, tarfile.LNKTYPE, link=target), b""


def special(path: str, kind: bytes) -> Member:
    """A member of another type (fifo, device, an old tar's regular file...)."""
    return _info(path, kind), b""


def tar_of(*members: Member, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data else None)
    return out.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def step(created_by: str, empty: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {"created": "2024-01-01T00:00:00Z", "created_by": created_by}
    if empty:
        entry["empty_layer"] = True
    return entry


def config_of(layers: list[bytes], history: list[dict[str, Any]] | None = None) -> bytes:
    history = history or [step(f"/bin/sh -c step {i}") for i in range(len(layers))]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["sh"]},
        "history": history,
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{_sha(t)}" for t in layers]},
    }
    return json.dumps(config).encode()


def classic(
    layers: list[bytes],
    history: list[dict[str, Any]] | None = None,
    *,
    manifest: bool = True,
    alias_last_to_first: bool = False,
) -> bytes:
    """The Engine ≤ 24 layout: ``<id>/layer.tar`` folders, ``<config id>.json``."""
    config = config_of(layers, history)
    config_name = f"{_sha(config)}.json"
    members = [blob(config_name, config)]
    names = []
    for index, layer in enumerate(layers):
        layer_id = _sha(layer + bytes([index]))
        name = f"{layer_id}/layer.tar"
        names.append(name)
        members += [dirent(f"{layer_id}/"), blob(f"{layer_id}/VERSION", b"1.0")]
        members.append(blob(f"{layer_id}/json", json.dumps({"id": layer_id}).encode()))
        if alias_last_to_first and index == len(layers) - 1 and index > 0:
            first = names[0].split("/")[0]
            members.append(symlink(name, f"../{first}/layer.tar"))
        else:
            members.append(blob(name, layer))
    entry = [{"Config": config_name, "RepoTags": ["test/image:1"], "Layers": names}]
    if manifest:
        members.append(blob("manifest.json", json.dumps(entry).encode()))
    members.append(blob("repositories", b'{"test/image":{"1":"x"}}'))
    return tar_of(*members)


def oci(
    layers: list[bytes], history: list[dict[str, Any]] | None = None, *, gz: bool = False
) -> bytes:
    """The Engine 25+ layout: content-addressed ``blobs/sha256/<digest>``, ``index.json``."""
    config = config_of(layers, history)
    blobs = [gzip.compress(t, 6, mtime=0) if gz else t for t in layers]
    media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else "")
    descriptors = [
        {"mediaType": media, "digest": f"sha256:{_sha(b)}", "size": len(b)} for b in blobs
    ]
    image_manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": f"sha256:{_sha(config)}",
                "size": len(config),
            },
            "layers": descriptors,
        }
    ).encode()
    index = {"schemaVersion": 2, "manifests": [{"digest": f"sha256:{_sha(image_manifest)}"}]}
    members = [dirent("blobs/"), dirent("blobs/sha256/")]
    for data in [*blobs, config, image_manifest]:
        members.append(blob(f"blobs/sha256/{_sha(data)}", data))
    members.append(blob("index.json", json.dumps(index).encode()))
    entry = [
        {
            "Config": f"blobs/sha256/{_sha(config)}",
            "RepoTags": ["test/image:1"],
            "Layers": [f"blobs/sha256/{_sha(b)}" for b in blobs],
        }
    ]
    members.append(blob("manifest.json", json.dumps(entry).encode()))
    members.append(blob("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'))
    return tar_of(*members)


def chunked(data: bytes, size: int = 4097) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def lay_out(root: Path, layers: list[bytes], *, go_names: bool = False) -> list[str]:
    """A data root as dockerd keeps it: layerdb with each layer's tar-split, overlay2 folders.

    A tar-split line per entry (name and size) after a segment of the raw bytes before its data,
    as the engine writes it; ``go_names``: a directory's name ends in "/", as Go's tar has it."""
    diff_ids = [f"sha256:{_sha(layer)}" for layer in layers]
    chains = chain_ids(diff_ids)
    for number, (layer, chain) in enumerate(zip(layers, chains, strict=True)):
        meta = root / "image/overlay2/layerdb/sha256" / chain[7:]
        folder = root / "overlay2" / f"cache{number}" / "diff"
        meta.mkdir(parents=True)
        folder.mkdir(parents=True)
        (meta / "diff").write_text(diff_ids[number])
        (meta / "cache-id").write_text(f"cache{number}")
        lines, at = [], 0
        with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
            for info in tar:
                name = info.name + ("/" if go_names and info.isdir() else "")
                lines.append({"type": 2, "payload": _b64(layer[at : info.offset_data])})
                lines.append({"type": 1, "name": name, "size": info.size})
                if info.size:
                    (folder / info.name).parent.mkdir(parents=True, exist_ok=True)
                    (folder / info.name).write_bytes(
                        layer[info.offset_data : info.offset_data + info.size]
                    )
                at = info.offset_data + info.size
        lines.append({"type": 2, "payload": _b64(layer[at:])})
        text = "\n".join(json.dumps(line) for line in lines) + "\n"
        (meta / "tar-split.json.gz").write_bytes(gzip.compress(text.encode()))
    return diff_ids


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
