"""Small questions engine tests ask of an engine or of dive, asked one way."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import docker.errors
from prereq import need_dive

from kit.engine import Engine

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
