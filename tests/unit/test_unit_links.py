"""Links out of the build context (kit.inputs.links) and the engine's address taken from its
client (kit.engine.client.address_of): no engine needed."""

from __future__ import annotations

from pathlib import Path

import docker

from kit.engine.client import Engine, address_of
from kit.inputs.dockerfile import Dockerfile
from kit.inputs.links import dangling


def _context(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_text("outside\n")
    ctx = tmp_path / "ctx"
    (ctx / "etc").mkdir(parents=True)
    (ctx / "inside.txt").write_text("in\n")
    (ctx / "etc" / "found").write_text("scoped\n")
    (ctx / "outside").symlink_to(tmp_path / "secret.txt")
    (ctx / "relative").symlink_to("../secret.txt")
    (ctx / "root").symlink_to("/")
    (ctx / "inner").symlink_to("inside.txt")
    (ctx / "loop").symlink_to("loop")
    (ctx / "scoped").symlink_to("/etc/found")  # outside on the host, inside when scoped
    return ctx


def test_links_out_of_the_context_that_lead_nowhere(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    text = (
        "FROM kitbase/busybox:1\n"
        "COPY outside /a\n"
        "COPY relative /b\n"
        "COPY root /c\n"
        "COPY inner /d\n"
        "COPY scoped /e\n"
        "COPY missing /f\n"
        "COPY *.txt /g/\n"
        "ADD ./outside/ /h\n"
    )
    found = dangling(ctx, Dockerfile.parse(text))
    # Worked out by hand: `outside` and `relative` resolve (inside the context) to a file the
    # context lacks; `root` is the context itself, `inner` and `scoped` exist there, `missing`
    # is no link, and a wildcard is left to the engine.
    assert [(f.line, f.keyword, f.source, f.link, f.target) for f in found] == [
        (2, "COPY", "outside", "outside", str(tmp_path / "secret.txt")),
        (3, "COPY", "relative", "relative", "../secret.txt"),
        (9, "ADD", "./outside/", "outside", str(tmp_path / "secret.txt")),
    ]


def test_a_link_loop_is_left_to_the_engine(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    assert dangling(ctx, Dockerfile.parse("FROM scratch\nCOPY loop /x\n")) == []


def test_the_engine_address_comes_from_its_client(tmp_path: Path) -> None:
    """BuildKit builds go to ``Engine.host``: it must be the socket the client talks to, not
    the environment's DOCKER_HOST (an extra dockerd's builds went to the main engine)."""
    sock = tmp_path / "other.sock"
    client = docker.APIClient(base_url=f"unix://{sock}", version="1.41")
    assert address_of(client) == f"unix://{sock}"
    tcp = docker.APIClient(base_url="tcp://127.0.0.1:2375", version="1.41")
    assert address_of(tcp) == "tcp://127.0.0.1:2375"
    engine = Engine(docker.DockerClient(base_url=f"unix://{sock}", version="1.41"))
    assert engine.host == f"unix://{sock}"
    engine.close()
    assert address_of(object()) is None
