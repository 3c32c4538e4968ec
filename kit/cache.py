"""Cache keys: a digest of everything a variant's measurements depend on.

A stored measurement is reused only when its key is equal: the Dockerfile's bytes, the build
context as the engine receives it (``.dockerignore`` applied the way docker-py applies it), the
base images' ids, the build args, the probe, the kit's version and the measurement parameters.
What is not in the key cannot invalidate a result: a change inside the engine itself (a newer
dockerd, another storage driver) is recorded in each row's envelope but does not force a rerun.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docker.utils.build import exclude_paths

from kit import profiles
from kit.discover import App, Variant
from kit.engine import Engine
from kit.errors import ExperimentConfigError

#: Bump when the meaning of a cached row changes without the kit's version changing.
CACHE_FORMAT = 1
_CHUNK = 1 << 20


def _dockerignore(directory: Path) -> list[str]:
    path = directory / ".dockerignore"
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(errors="replace").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def context_digest(directory: Path, dockerfile: str) -> str:
    """Digest of the build context's paths, modes and contents as the engine would get them."""
    digest = hashlib.sha256()
    try:
        paths = sorted(exclude_paths(str(directory), _dockerignore(directory), dockerfile))
    except OSError as exc:
        raise ExperimentConfigError(
            f"cannot read the build context: {exc}", file=directory
        ) from exc
    for rel in paths:
        full = directory / rel
        stat = full.lstat()
        digest.update(f"{rel}\0{stat.st_mode:o}\0".encode())
        if full.is_symlink():
            digest.update(os.readlink(full).encode())
        elif full.is_file():
            with full.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def _base_ids(engine: Engine, app: App, variant: Variant, profile: str) -> dict[str, str | None]:
    text = variant.dockerfile.read_text(errors="replace")
    found = {}
    for ref in profiles.base_images(text, app.build_args(variant, profile)):
        image = engine.image(ref)
        # An absent base gives a key no stored run has: the variant is measured (and fails there).
        found[ref] = None if image is None else str(image["Id"])
    return found


def variant_key(
    engine: Engine,
    app: App,
    variant: Variant,
    profile: str,
    *,
    kit_version: str,
    parameters: Mapping[str, Any],
) -> str:
    """The cache key of one variant's measurements under ``profile`` with ``parameters``."""
    rel = str(variant.dockerfile.relative_to(app.directory))
    inputs = {
        "format": CACHE_FORMAT,
        "kit": kit_version,
        "dockerfile": hashlib.sha256(variant.dockerfile.read_bytes()).hexdigest(),
        "context": context_digest(app.directory, rel),
        "bases": _base_ids(engine, app, variant, profile),
        "build_args": app.build_args(variant, profile),
        "profile": profile,
        "probe": repr(app.probe),
        "parameters": dict(parameters),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def floor_key(keys: Mapping[str, str], probe: str) -> str:
    """The floor is traced on one variant but chosen among all: it depends on every key."""
    body = json.dumps({"variants": dict(keys), "probe": probe}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()
