"""Small questions engine tests ask of an engine or of dive, asked one way."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import docker.errors
from prereq import need_dive, need_image, unavailable

from kit.engine import Engine
from kit.host import official
from kit.host.tags import untag_official

DIVE_TIMEOUT_S = 900


def container_exists(engine: Engine, container: str) -> bool:
    try:
        engine.api.inspect_container(container)
    except docker.errors.NotFound:
        return False
    return True


def dive_report(ref: str, folder: Path) -> dict[str, Any]:
    """The ``image`` part of ``dive REF --json`` (efficiency, wasted bytes), run in ``folder``."""
    # A file of its own per image: dive writes over an existing one without truncating it.
    report = folder / f"dive-{hashlib.sha256(ref.encode()).hexdigest()[:12]}.json"
    done = subprocess.run(
        [need_dive(), ref, "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=DIVE_TIMEOUT_S,
        cwd=folder,
        env={**os.environ, "CI": "true"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    image: dict[str, Any] = json.loads(report.read_text())["image"]
    return image


@contextlib.contextmanager
def official_names(
    engine: Engine, state: Path, bases: Sequence[str], names: Sequence[str]
) -> Iterator[None]:
    """The official names tagged on the embedded ``bases`` where the engine lacks them (recorded
    in the private state dir ``state``, which the caller has set as KIT_STATE_DIR, so only those
    are untagged afterwards); unavailable when the engine has other images of ``names``."""
    for ref in bases:
        need_image(engine, ref)
    tagged = official.tag_official(engine, served=lambda name: False)
    try:
        theirs = [t.name for t in tagged if t.name in names and t.action == "kept"]
        if theirs:
            unavailable(f"the engine has other images named {', '.join(theirs)}")
        yield
    finally:
        untag_official(engine)
