"""Record failed builds' logs under both builders (run by hand; pytest does not collect it).

    .venv/bin/python tests/unit/record_failure_logs.py BASE

``BASE`` is a node image with npm (``kitbase/node:18-slim``, or any Debian ``nodejs npm``
image). Each Dockerfile under ``fixtures/failures/`` is built with ``--build-arg BASE=…``, with
the classic builder through the SDK (``<case>.classic.json``: the decoded events, as
``kit.engine`` requests them) and with BuildKit through the docker CLI (``<case>.buildkit.log``:
the plain progress as printed, escape codes and all). Builds use the host network, as the kit's
do, so npm and apt reach their mirrors. Images and step images are removed before it exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.utils

CASES = Path(__file__).resolve().parent / "fixtures" / "failures"
TAG = "kitexp/unit-fixture:failure"
LABELS = {"kit.managed": "1", "kit.app": "failures"}
#: A CLI older than 23.0 builds with BuildKit without buildx, as Debian's docker.io 20.10 does.
CLI = os.environ.get("KIT_RECORD_CLI", "/usr/bin/docker")


def _classic(api: docker.APIClient, case: str, base: str) -> list[dict[str, Any]]:
    return list(
        api.build(
            path=str(CASES),
            dockerfile=f"Dockerfile.{case}",
            tag=TAG,
            buildargs={"BASE": base},
            labels=LABELS,
            nocache=True,
            rm=True,
            forcerm=True,
            pull=False,
            network_mode="host",
            decode=True,
        )
    )


def _buildkit(case: str, base: str) -> bytes:
    cmd = [CLI, "build", "--progress=plain", "--network", "host", "--no-cache", "-t", TAG]
    cmd += ["-f", str(CASES / f"Dockerfile.{case}"), "--build-arg", f"BASE={base}"]
    cmd += [arg for k, v in LABELS.items() for arg in ("--label", f"{k}={v}")]
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    done = subprocess.run([*cmd, str(CASES)], capture_output=True, env=env, check=False)
    return done.stdout + done.stderr


def _descends(api: docker.APIClient, image: str, base_id: str) -> bool:
    while image:
        if image == base_id:
            return True
        image = api.inspect_image(image).get("Parent") or ""
    return False


def main(base: str) -> int:
    api = docker.APIClient(**docker.utils.kwargs_from_env())
    base_id = api.inspect_image(base)["Id"]
    before = {img["Id"] for img in api.images(all=True)}
    try:
        for dockerfile in sorted(CASES.glob("Dockerfile.*")):
            case = dockerfile.name.removeprefix("Dockerfile.")
            events = _classic(api, case, base)
            (CASES / f"{case}.classic.json").write_text(json.dumps(events, indent=1) + "\n")
            (CASES / f"{case}.buildkit.log").write_bytes(_buildkit(case, base))
            print(f"recorded {case}")
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            api.remove_image(TAG)
        for img in api.images(all=True, filters={"dangling": True}):
            if img["Id"] not in before and _descends(api, img["Id"], base_id):
                with contextlib.suppress(docker.errors.APIError):
                    api.remove_image(img["Id"])
        api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
