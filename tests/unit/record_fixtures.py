"""Record the Docker SDK JSON that the unit tests replay (run by hand; pytest does not collect it).

    .venv/bin/python tests/unit/record_fixtures.py

Talks to the live engine through the SDK's low-level ``APIClient`` (the one ``kit.engine`` uses)
and writes ``tests/unit/fixtures/*.json``. Everything it creates is tagged ``kitexp/unit-fixture:*``
or labelled ``kit.unit-fixture`` and removed before it exits; containers use network ``none``.
Host-specific fields (engine id, host name, proxies) are replaced by fixed placeholders, and long
strings are cut, so every file stays small and carries nothing about the recording machine.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.utils

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BUSYBOX = "kitbase/busybox:1"
MULTISTAGE = "kitexp/node-server:multistage-local"
REPO = "kitexp/unit-fixture"
LABEL = "kit.unit-fixture"
MAX_STRING = 400
MAX_BYTES = 50_000

OK_DOCKERFILE = f"""FROM {BUSYBOX}
RUN echo hello > /hello.txt
ENV GREETING=hello
CMD ["cat", "/hello.txt"]
"""
FAILING_DOCKERFILE = f"""FROM {BUSYBOX}
RUN echo about to fail && exit 3
CMD ["true"]
"""

#: Engine ``info`` keys that describe the recording host rather than the engine.
INFO_REDACT = {
    "ID": "UNIT:FIXT:URE0:0000:0000:0000:0000:0000:0000:0000:0000:0000",
    "Name": "fixture-host",
    "HttpProxy": "",
    "HttpsProxy": "",
    "NoProxy": "",
    "SystemTime": "2026-01-01T00:00:00.000000000Z",
    "Labels": [],
}
CONTAINER_REDACT = {"Env": ["PATH=/bin"], "Hostname": "fixture"}


def _trim(value: Any) -> Any:
    """Cut long strings; keep structure and every number as recorded."""
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING] + "…"
    if isinstance(value, list):
        return [_trim(v) for v in value]
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items()}
    return value


def _write(name: str, data: Any) -> None:
    text = json.dumps(_trim(data), indent=1, sort_keys=True) + "\n"
    if len(text.encode()) > MAX_BYTES:
        raise SystemExit(f"{name}.json would be {len(text.encode())} bytes (limit {MAX_BYTES})")
    (FIXTURES / f"{name}.json").write_text(text)
    print(f"wrote fixtures/{name}.json ({len(text.encode())} bytes)")


def _build(api: docker.APIClient, dockerfile: str, tag: str) -> list[dict[str, Any]]:
    """The decoded event stream of one classic build, exactly as ``kit.engine`` requests it."""
    with tempfile.TemporaryDirectory(prefix="kit-unit-fixture-") as context:
        Path(context, "Dockerfile").write_text(dockerfile)
        return list(
            api.build(
                path=context,
                dockerfile="Dockerfile",
                tag=tag,
                buildargs={},
                labels={LABEL: "1"},
                nocache=True,
                rm=True,
                forcerm=True,
                pull=False,
                network_mode="none",
                decode=True,
            )
        )


def _exited(api: docker.APIClient, code: int, created: list[str]) -> dict[str, Any]:
    """Inspect of a busybox container that ran ``exit <code>`` with no network."""
    container = api.create_container(
        BUSYBOX,
        command=["sh", "-c", f"exit {code}"],
        labels={LABEL: "1"},
        host_config=api.create_host_config(network_mode="none"),
    )["Id"]
    created.append(container)
    api.start(container)
    status = api.wait(container, timeout=60)["StatusCode"]
    if status != code:
        raise SystemExit(f"container exited with {status}, expected {code}")
    inspected: dict[str, Any] = api.inspect_container(container)
    config = inspected.get("Config") or {}
    config.update({k: v for k, v in CONTAINER_REDACT.items() if k in config})
    return inspected


def _remove_step_images(before: set[str], api: docker.APIClient) -> None:
    """Remove step images a build left behind (new, untagged ones only)."""
    for img in api.images(all=True):
        tags = [t for t in img.get("RepoTags") or [] if t != "<none>:<none>"]
        labels = img.get("Labels") or {}
        if img["Id"] not in before and not tags and labels.get(LABEL) == "1":
            with contextlib.suppress(docker.errors.APIError):
                api.remove_image(img["Id"])


def main() -> int:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    api = docker.APIClient(**docker.utils.kwargs_from_env())
    containers: list[str] = []
    images: list[str] = []
    try:
        for ref in (BUSYBOX, MULTISTAGE):
            try:
                api.inspect_image(ref)
            except docker.errors.ImageNotFound as exc:
                message = f"{ref} is missing: run `kit bases` and the node-server app"
                raise SystemExit(message) from exc
        version = api.version()
        _write("version", version)
        info = api.info()
        info.update({k: v for k, v in INFO_REDACT.items() if k in info})
        _write("info", info)
        for ref, name in ((BUSYBOX, "busybox"), (MULTISTAGE, "multistage")):
            _write(f"inspect_image_{name}", api.inspect_image(ref))
            _write(f"history_{name}", api.history(ref))

        before = {img["Id"] for img in api.images(all=True)}
        ok_tag, failed_tag = f"{REPO}:ok", f"{REPO}:failing"
        images += [ok_tag, failed_tag]
        ok_events = _build(api, OK_DOCKERFILE, ok_tag)
        if not any("aux" in e for e in ok_events):
            raise SystemExit(f"the tiny build did not succeed: {ok_events[-3:]}")
        _write("build_ok", ok_events)
        _write("inspect_image_unit_fixture_ok", api.inspect_image(ok_tag))
        failed_events = _build(api, FAILING_DOCKERFILE, failed_tag)
        if not any("error" in e for e in failed_events):
            raise SystemExit(f"the failing build did not fail: {failed_events[-3:]}")
        _write("build_failed", failed_events)
        _remove_step_images(before, api)

        _write("inspect_container_exit0", _exited(api, 0, containers))
        _write("inspect_container_exit1", _exited(api, 1, containers))
    finally:
        for container in containers:
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_container(container, force=True, v=True)
        for ref in images:
            with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.NotFound):
                api.remove_image(ref)
        left = api.containers(all=True, filters={"label": LABEL}) + [
            img for img in api.images(all=True) if (img.get("Labels") or {}).get(LABEL) == "1"
        ]
        api.close()
    if left:
        print(f"left behind: {[x['Id'] for x in left]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
