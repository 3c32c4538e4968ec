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
from kit.host.registry import local_registry

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
    before = engine.images.ids()
    list(api.build(fileobj=_context(), custom_context=True, tag=f"{APP}:app", rm=True, decode=True))
    try:
        with local_registry() as registry:
            events: dict[str, list[dict[str, Any]]] = {}
            for name, ref, repo in (("busybox", BUSYBOX, "busybox"), ("app", f"{APP}:app", "app")):
                remote = f"{registry.host}/{repo}"
                engine.images.tag(ref, remote, "kit")
                seen: list[dict[str, Any]] = []
                engine.transfers.push(remote, "kit", on_event=seen.append)
                events[f"push_{name}"] = seen
                manifest = registry._http.get(
                    f"{registry.url}/v2/{repo}/manifests/kit",
                    headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
                )
                _write(f"manifest_{name}", manifest.json())
            app = engine.api.inspect_image(f"{APP}:app")
            chains = {
                ref: engine.api.inspect_image(ref).get("RootFS", {}).get("Layers")
                for ref in (BUSYBOX, f"{APP}:app")
            }
            usage = [
                {k: row[k] for k in ("Id", "Size", "SharedSize", "RepoTags")}
                for row in engine.api.df()["Images"]
                if set(row.get("RepoTags") or []) & set(chains)
            ]
            _write("df", {"images": usage, "chains": chains})
            engine.images.untag(f"{APP}:app")  # the registry tag is left, so the image stays
            engine.images.remove(f"{registry.host}/app:kit")  # last reference: pruned
            seen = []
            engine.transfers.pull(f"{registry.host}/app", "kit", on_event=seen.append)
            events["pull_app"] = seen
            for ref in engine.api.inspect_image(app["Id"]).get("RepoDigests") or []:
                engine.images.untag(ref)
            for ref in (f"{registry.host}/app:kit", f"{registry.host}/busybox:kit"):
                engine.images.untag(ref)
            busybox = engine.api.inspect_image(BUSYBOX)
            for ref in busybox.get("RepoDigests") or []:
                if ref.startswith(registry.host):
                    engine.images.untag(ref)
            for name, seen in events.items():
                _write(name, [{k: v for k, v in e.items() if k != "progress"} for e in seen])
    finally:
        engine.images.untag(f"{APP}:app")
        engine.images.remove_dangling_since(before)


if __name__ == "__main__":
    main()
