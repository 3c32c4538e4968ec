"""What a test needs from the machine. Locally a missing prerequisite skips the test; under
CI=true it fails it: a skipped engine suite is not a pass."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

from kit.bench.layers import find_dive
from kit.engine import Engine
from kit.errors import KitError

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(message: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"CI=true, so this is a failure, not a skip: {message}")
    pytest.skip(message)


def need_root(why: str) -> None:
    """Root, for what only root may do here (fanotify, whiteouts, a dockerd of the test's own)."""
    if os.geteuid() != 0:
        unavailable(f"not root: {why}")


def need_image(engine: Engine, ref: str) -> dict[str, Any]:
    """The engine's own inspect JSON of the image (read through the SDK, not the kit's models,
    so tests compare with the engine); every image a test asks for is made by `make test` or a
    fixture."""
    if engine.images.inspect(ref) is None:
        unavailable(f"{ref} is missing: run `kit bases` (make test does)")
    found: dict[str, Any] = engine.api.inspect_image(ref)
    return found


def need_registry() -> Path:
    """Debian's docker-registry binary (installed with apt-get when missing and root). Only its
    absence is a missing prerequisite: any other RegistryError is the kit's and fails the test."""
    from kit.host.registry import find_binary

    try:
        return find_binary()
    except KitError as exc:
        unavailable(f"{exc.message} ({exc.hint})")


def need_dive() -> str:
    """dive's binary (the venv's first), for the cross-checks against the kit's analysis."""
    try:
        return find_dive()
    except KitError as exc:
        unavailable(f"{exc.message} ({exc.hint})")
