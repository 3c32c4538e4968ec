"""Record the registry and engine JSON the distribution and capacity unit tests replay (by hand;
pytest does not collect it):

    .venv/bin/python tests/unit/record_distribution_fixtures.py

Starts the kit's own registry on 127.0.0.1, pushes ``kitbase/busybox:1`` and a tiny image built
on it (``kitexp/unit-dist:app``), removes the tiny image and pulls it back, and writes the
manifests, the engine's push and pull events, and ``docker system df`` rows with the images'
layer chains to ``tests/unit/fixtures/dist_*.json``. Everything it creates is removed.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from kit.engine import Engine
from kit.registry import local_registry

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BUSYBOX = "kitbase/busybox:1"
APP = "kitexp/unit-dist"
DOCKERFILE = f"""FROM {BUSYBOX}
RUN echo distributed > /app.txt
CMD ["cat", "/app.txt"]
"""


def _context() -> io.BytesIO:
    data = DOCKERFILE.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def _write(name: str, value: Any) -> None:
    (FIXTURES / f"dist_{name}.json").write_text(json.dumps(value, indent=1) + "\n")


def main() -> None:
    engine = Engine.connect()
    api = engine.api
    before = engine.image_ids()
    list(api.build(fileobj=_context(), custom_context=True, tag=f"{APP}:app", rm=True, decode=True))
    try:
        with local_registry() as registry:
            events: dict[str, list[dict[str, Any]]] = {}
            for name, ref, repo in (("busybox", BUSYBOX, "busybox"), ("app", f"{APP}:app", "app")):
                remote = f"{registry.host}/{repo}"
                engine.tag(ref, remote, "kit")
                seen: list[dict[str, Any]] = []
                engine.push(remote, "kit", on_event=seen.append)
                events[f"push_{name}"] = seen
                manifest = registry._http.get(
                    f"{registry.url}/v2/{repo}/manifests/kit",
                    headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
                )
                _write(f"manifest_{name}", manifest.json())
            app = engine.image(f"{APP}:app")
            assert app is not None
            chains = {
                ref: (engine.image(ref) or {}).get("RootFS", {}).get("Layers")
                for ref in (BUSYBOX, f"{APP}:app")
            }
            usage = [
                {k: row[k] for k in ("Id", "Size", "SharedSize", "RepoTags")}
                for row in engine.disk_usage()["Images"]
                if set(row.get("RepoTags") or []) & set(chains)
            ]
            _write("df", {"images": usage, "chains": chains})
            engine.untag(f"{APP}:app")  # the registry tag is left, so the image stays
            engine.remove_image(f"{registry.host}/app:kit")  # last reference: pruned
            seen = []
            engine.pull(f"{registry.host}/app", "kit", on_event=seen.append)
            events["pull_app"] = seen
            for ref in (engine.image(app["Id"]) or {}).get("RepoDigests") or []:
                engine.untag(ref)
            for ref in (f"{registry.host}/app:kit", f"{registry.host}/busybox:kit"):
                engine.untag(ref)
            busybox = engine.image(BUSYBOX) or {}
            for ref in busybox.get("RepoDigests") or []:
                if ref.startswith(registry.host):
                    engine.untag(ref)
            for name, seen in events.items():
                _write(name, [{k: v for k, v in e.items() if k != "progress"} for e in seen])
    finally:
        engine.untag(f"{APP}:app")
        engine.remove_dangling_since(before)


if __name__ == "__main__":
    main()
