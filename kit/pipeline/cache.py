"""Cache keys: a digest of everything a variant's measurements depend on.

A stored measurement is reused only when its key is equal: the Dockerfile's bytes, the part of
the build context the variant's build can read (its ``COPY``/``ADD`` and ``RUN --mount`` bind
sources, :mod:`kit.inputs.reads`; all of it for ``COPY . .``) as the engine receives it
(``.dockerignore`` applied the way docker-py applies it; under BuildKit the Dockerfile's own
``<Dockerfile>.dockerignore`` instead, when there is one), the
ids of the images the parsed Dockerfile names (FROM bases under the build args, ``COPY --from``
images), the build args, the builder, the probe, the measurement parameters, the kit's version and a
digest of the kit's own measuring code (:func:`code_digest`), so that a change to a measurement
module re-measures even when the version was not bumped, and the app's ``[limits]`` when not the
defaults.
What is not in the key cannot invalidate a result: a change inside the engine itself (a newer
dockerd, another storage driver) is recorded in each row's envelope but does not force a rerun.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kit.engine import Engine
from kit.engine.context import context_files
from kit.errors import ExperimentConfigError
from kit.inputs import reads
from kit.inputs.app import App, Variant
from kit.inputs.experiment import DEFAULT_LIMITS
from kit.model.rows import ImageResult

#: Bump when the meaning of a cached row changes without the kit's code changing.
CACHE_FORMAT = 1
_CHUNK = 1 << 20
#: The kit's own package folder.
KIT_ROOT = Path(__file__).resolve().parents[1]
#: What decides a measured row: this layer and every layer below it (README, "Architecture").
#: The import contract keeps views, runs, cli and bench above the pipeline, so a change there
#: cannot change what ``run_experiment`` measures, and does not throw stored rows away.
MEASURING = (
    "pipeline",
    "measure",
    "host",
    "inputs",
    "engine",
    "model",
    "measurements",
    "util",
    "config.py",
    "errors.py",
)


@functools.cache
def code_digest(root: Path = KIT_ROOT) -> str:
    """Digest of the Python source of the kit's measuring layers under ``root``: the paths and
    bytes of every ``.py`` file in :data:`MEASURING` (read once per process)."""
    digest = hashlib.sha256()
    for part in MEASURING:
        top = root / part
        files = sorted(top.rglob("*.py")) if top.is_dir() else [top]
        for path in files:
            if "__pycache__" in path.parts or not path.is_file():
                continue
            digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def context_digest(
    directory: Path,
    dockerfile: str,
    wanted: tuple[str, ...] = reads.WHOLE,
    builder: str = "classic",
) -> str:
    """Digest of the paths, modes and contents of the build context as ``builder``'s engine
    would get it (:func:`context_files`); of the part ``wanted``
    (:func:`kit.inputs.reads.patterns`) only, when given."""
    digest = hashlib.sha256()
    try:
        paths = reads.select(directory, context_files(directory, dockerfile, builder), wanted)
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
    found = {}
    for _, ref in app.images(variant, profile):
        image = engine.images.inspect(ref)
        # An absent base gives a key no stored run has: the variant is measured (and fails there).
        found[ref] = None if image is None else image.id
    return found


def variant_key(
    engine: Engine,
    app: App,
    variant: Variant,
    profile: str,
    *,
    kit_version: str,
    parameters: Mapping[str, Any],
    builder: str = "classic",
) -> str:
    """The cache key of one variant's measurements under ``profile`` with ``parameters``."""
    rel = str(variant.dockerfile.relative_to(app.directory))
    inputs = {
        "format": CACHE_FORMAT,
        "kit": kit_version,
        "code": code_digest(),
        "dockerfile": hashlib.sha256(variant.dockerfile.read_bytes()).hexdigest(),
        # What this variant's build can read of the context, not the whole of it: an edit of
        # a sibling's Dockerfile, or of a file only a sibling copies, leaves this key alone.
        "context": context_digest(app.directory, rel, reads.patterns(variant.file), builder),
        "bases": _base_ids(engine, app, variant, profile),
        "build_args": app.build_args(variant, profile),
        "profile": profile,
        "builder": builder,
        "probe": repr(app.probe),
        "parameters": dict(parameters),
        # Only when changed, so the keys of apps on the default limits stay what they were.
        **({"limits": repr(app.limits)} if app.limits != DEFAULT_LIMITS else {}),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def step_key(keys: Mapping[str, str], **inputs: Any) -> str:
    """An app-level step (the floor, the payoffs) compares variants: it depends on every key."""
    body = json.dumps({"variants": dict(keys), **inputs}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def step_images(rows: Sequence[ImageResult]) -> dict[str, str]:
    """What an app-level step measured: it is reused only for these very images."""
    return {r.variant: str(r.image_id) for r in rows if r.status == "ok"}
