"""``kit bases --as-official`` on a real engine: Dockerfiles written against the official images
(``FROM node:18-slim``, ``python:3.11``, ``gcr.io/distroless/...``) build offline unchanged with
the classic builder (network none: nothing is fetched) and behave as they do on those images.

The official names are tagged with a private state directory, so the test's record is its own;
names it tagged are removed afterwards, names it found already there are left as they were.
"""

from __future__ import annotations

import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from prereq import need_image, unavailable

from kit.engine import Engine
from kit.host import official
from kit.host.bases import BASES
from kit.host.tags import recorded, untag_official

REPO = "kitexp/eng-official"

NODE_SERVER = """\
const os = require('os');
console.log(`served by ${os.userInfo().username} ${process.getuid()} in ${process.cwd()}`);
"""
# A single-stage image in the style the node image's docs show: the app owned by `node`.
NODE_SINGLE = """\
FROM node:18-slim
RUN mkdir -p /home/node/app && chown -R node:node /home/node/app
WORKDIR /home/node/app
COPY --chown=node:node package.json server.js ./
USER node
RUN npm install --offline --no-audit --no-fund
CMD ["server.js"]
"""
# Multi-stage onto distroless: the entrypoint is node, the user nonroot.
NODE_DISTROLESS = """\
FROM node:18 AS build
WORKDIR /src
COPY package.json server.js ./
RUN npm install --offline --no-audit --no-fund

FROM gcr.io/distroless/nodejs18-debian12:nonroot
COPY --from=build /src /app
WORKDIR /app
CMD ["server.js"]
"""
# The three-stage Python pattern: a venv built on the full image, copied onto slim and onto
# distroless; and pip install as root on slim.
PYTHON = """\
FROM python:3.11 AS build
RUN python -m venv /venv
COPY kit_probe-1.0-py3-none-any.whl /tmp/
RUN /venv/bin/pip install --no-index --no-cache-dir /tmp/kit_probe-1.0-py3-none-any.whl

FROM python:3.11-slim AS slim
COPY --from=build /venv /venv
CMD ["/venv/bin/python", "-c", "import kit_probe, sys; print(kit_probe.ANSWER, sys.prefix)"]

FROM python:3.11-slim AS system
COPY kit_probe-1.0-py3-none-any.whl /tmp/
RUN pip install --no-index --no-cache-dir /tmp/kit_probe-1.0-py3-none-any.whl
CMD ["python", "-c", "import kit_probe, sys; print(kit_probe.ANSWER, sys.prefix)"]

FROM gcr.io/distroless/python3-debian12 AS distroless
COPY --from=build /venv /venv
ENTRYPOINT ["/venv/bin/python"]
CMD ["-c", "import kit_probe, sys; print(kit_probe.ANSWER, sys.prefix)"]
"""
NEEDED = (
    "node:18",
    "node:18-slim",
    "python:3.11",
    "python:3.11-slim",
    "gcr.io/distroless/nodejs18-debian12:nonroot",
    "gcr.io/distroless/python3-debian12:latest",
)


def never(name: str) -> bool:
    """No registry serves anything: the offline machine this test is about."""
    return False


@pytest.fixture()
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture()
def as_official(engine: Engine, private_state: Path) -> Iterator[list[official.OfficialTag]]:
    for spec in BASES:
        need_image(engine, spec.ref)
    results = official.tag_official(engine, served=never)
    try:
        theirs = [r.name for r in results if r.name in NEEDED and r.action == "kept"]
        if theirs:
            unavailable(f"the engine has other images named {', '.join(theirs)}")
        yield results
    finally:
        untag_official(engine)


def build(engine: Engine, context: Path, dockerfile: str, target: str | None = None) -> str:
    tag = f"{REPO}:{target or 'app'}-{secrets.token_hex(3)}"
    (context / "Dockerfile").write_text(dockerfile)
    before = engine.images.ids()
    outcome = engine.builds.build(
        str(context),
        "Dockerfile",
        tag=tag,
        buildargs={},
        labels={},
        nocache=True,
        network_mode="none",
        target=target,
    )
    # The stages before the target end as untagged images of their own: not the test's to keep.
    engine.images.remove_dangling_since(before)
    assert outcome.image_id is not None, f"{outcome.error}\n" + "\n".join(outcome.log_tail)
    return tag


def run(engine: Engine, image: str) -> str:
    api = engine.api
    container = api.create_container(image, host_config=api.create_host_config(network_mode="none"))
    try:
        api.start(container)
        code = int(api.wait(container, timeout=120)["StatusCode"])
        output = api.logs(container, stdout=True, stderr=True).decode(errors="replace").strip()
    finally:
        api.remove_container(container, force=True)
    assert code == 0, output
    return output


def node_app(tmp_path: Path) -> Path:
    (tmp_path / "package.json").write_text('{"name": "served", "version": "1.0.0"}\n')
    (tmp_path / "server.js").write_text(NODE_SERVER)
    return tmp_path


def wheel(tmp_path: Path) -> Path:
    info = "kit_probe-1.0.dist-info/"
    with zipfile.ZipFile(tmp_path / "kit_probe-1.0-py3-none-any.whl", "w") as z:
        z.writestr("kit_probe/__init__.py", "ANSWER = 42\n")
        z.writestr(info + "METADATA", "Metadata-Version: 2.1\nName: kit-probe\nVersion: 1.0\n")
        z.writestr(
            info + "WHEEL",
            "Wheel-Version: 1.0\nGenerator: by-hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        z.writestr(info + "RECORD", "")
    return tmp_path


def test_every_official_name_is_its_base(
    engine: Engine, as_official: list[official.OfficialTag]
) -> None:
    assert {r.name for r in as_official} == {name for name, _ in official.mapping()}
    for r in as_official:
        holder = engine.api.inspect_image(r.name)["Id"]
        base = engine.api.inspect_image(r.base)["Id"]
        if r.action == "kept":  # another image already had that name: left alone
            assert holder != base, r
        else:
            assert r.action in ("tagged", "present"), r
            assert holder == base, r
    tagged = {r.name for r in as_official if r.action == "tagged"}
    assert set(recorded(engine)) == tagged


def test_node_single_stage_user_node(engine: Engine, as_official: object, tmp_path: Path) -> None:
    image = build(engine, node_app(tmp_path), NODE_SINGLE)
    assert run(engine, image) == "served by node 1000 in /home/node/app"


def test_node_onto_distroless_nonroot(engine: Engine, as_official: object, tmp_path: Path) -> None:
    image = build(engine, node_app(tmp_path), NODE_DISTROLESS)
    assert run(engine, image) == "served by nonroot 65532 in /app"


@pytest.mark.parametrize(
    ("target", "expected"),
    [("slim", "42 /venv"), ("system", "42 /usr"), ("distroless", "42 /venv")],
)
def test_python_venv_travels_between_stages(
    engine: Engine, as_official: object, tmp_path: Path, target: str, expected: str
) -> None:
    image = build(engine, wheel(tmp_path), PYTHON, target)
    assert run(engine, image) == expected


def test_another_image_of_that_name_is_never_replaced_unless_forced(
    engine: Engine, busybox: str, private_state: Path, tmp_path: Path
) -> None:
    name = "busybox:1"
    before = engine.images.inspect(name)
    (tmp_path / "Dockerfile").write_text("FROM kitbase/busybox:1\nLABEL mine=yes\n")
    theirs = build(engine, tmp_path, (tmp_path / "Dockerfile").read_text())
    theirs_id = engine.api.inspect_image(theirs)["Id"]
    engine.images.tag(theirs_id, "busybox", "1")
    try:
        [kept] = [r for r in official.tag_official(engine, served=never) if r.name == name]
        assert kept.action == "kept"
        assert engine.api.inspect_image(name)["Id"] == theirs_id
        [forced] = [
            r for r in official.tag_official(engine, force=True, served=never) if r.name == name
        ]
        assert forced.action == "forced"
        assert engine.api.inspect_image(name)["Id"] == engine.api.inspect_image(busybox)["Id"]
    finally:
        untag_official(engine)
        engine.images.untag(name)
        if before is not None:  # the engine's own busybox:1, put back as it was
            engine.images.tag(before.id, "busybox", "1")
