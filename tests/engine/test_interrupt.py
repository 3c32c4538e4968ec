"""Ctrl-C: interrupting the kit removes what it created, during a start trial and mid-build.

The interrupts are deterministic: KeyboardInterrupt is raised from inside the kit at a known
point (a patched readiness probe, or a build log callback seeing a marker line).
"""

from __future__ import annotations

import dataclasses
import gc
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import docker.errors
import pytest
from engine_checks import container_exists

from kit import cli
from kit.engine import Engine
from kit.inputs.app import load_app
from kit.measure.build import build
from kit.model.results import Results

MARKER = "KIT-INTERRUPT-MARKER"  # a line the `steps` variant's build prints mid-way
SETTLE_S = 30.0


def _interrupt_first_trial(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> list[str]:
    """Make the readiness probe raise KeyboardInterrupt once the container is really running."""
    seen: list[str] = []

    def interrupted(_engine: Engine, container: str, probe: object, port: object) -> int:
        assert engine.api.inspect_container(container)["State"]["Running"]
        seen.append(container)
        raise KeyboardInterrupt

    monkeypatch.setattr("kit.measure.start.wait_ready", interrupted)
    return seen


def test_ctrl_c_during_a_start_trial(
    engine: Engine,
    measure: Callable[..., Results],
    monkeypatch: pytest.MonkeyPatch,
    no_leaks: None,
) -> None:
    seen = _interrupt_first_trial(monkeypatch, engine)
    with pytest.raises(KeyboardInterrupt):
        measure("eng-interrupt", variants=("sleeper",))
    assert len(seen) == 1, "the interrupt should come in the first (warm-up) trial"
    assert not container_exists(engine, seen[0]), "the interrupted trial's container is still there"
    assert engine.containers.kit_containers() == []


def test_ctrl_c_during_a_start_trial_through_the_cli(
    engine: Engine, check, monkeypatch: pytest.MonkeyPatch, no_leaks: None, tmp_path, capsys
) -> None:
    seen = _interrupt_first_trial(monkeypatch, engine)
    out = tmp_path / "results"
    app = str(check.app_dir("eng-interrupt"))
    argv = ["measure", app, "--profile", "local", "--variant", "sleeper", "--quiet"]
    assert cli.main([*argv, "--trials", "2", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert len(seen) == 1 and not container_exists(engine, seen[0])
    assert engine.containers.kit_containers() == []
    assert not out.exists()


def _images_with_token(engine: Engine, token: str) -> list[str]:
    """Every image (intermediate ones included) made by a build that was given ``token``."""
    mine = []
    for img in engine.api.images(all=True):
        try:
            env = (engine.api.inspect_image(img["Id"]).get("Config") or {}).get("Env") or []
        except docker.errors.NotFound:
            continue
        if f"KIT_TEST_TOKEN={token}" in env:
            mine.append(str(img["Id"]))
    return mine


def _settle_and_remove(engine: Engine, token: str, tag: str) -> bool:
    """Wait for a build the engine may still be running to end, removing its images as it goes.

    Only the variant's tag and images carrying this test's token are touched. Returns whether
    the build got as far as tagging its image.
    """
    deadline = time.monotonic() + SETTLE_S
    tagged = False
    while True:
        tagged |= engine.images.remove(tag)
        mine = _images_with_token(engine, token)
        if not mine:
            return tagged
        for image in mine:  # a parent goes once its children have: retry until none are left
            engine.images.remove(image)
        if time.monotonic() > deadline:
            pytest.fail(f"images of the interrupted build still there after {SETTLE_S:g} s: {mine}")
        time.sleep(0.2)


def test_ctrl_c_during_a_build(engine: Engine, check, builder: str, no_leaks: None) -> None:
    app = load_app(check.app_dir("eng-interrupt"))
    token = secrets.token_hex(8)
    # Each image the build makes carries the token in its environment (ARG -> ENV), so this
    # test can tell them from any other image on the engine.
    app = dataclasses.replace(
        app, profile_args=MappingProxyType({"local": {"KIT_TEST_TOKEN": token}})
    )
    steps = next(v for v in app.variants if v.name == "steps")
    tag = check.tag(app.name, "steps", builder=builder)
    lines: list[str] = []
    # The classic builder prints a RUN's output as is; BuildKit as "#7 0.215 <output>".
    marker = re.compile(rf"^(#\d+ \d+\.\d+ )?{MARKER}$")

    def on_line(line: str) -> None:
        lines.append(line)
        if marker.match(line.strip()):
            raise KeyboardInterrupt

    try:
        # The traceback is kept (as a notebook keeps it after Ctrl-C): that must not matter.
        with pytest.raises(KeyboardInterrupt) as interrupted:
            build(engine, app, steps, "local", nocache=True, builder=builder, on_line=on_line)
        assert any(marker.match(line.strip()) for line in lines)
        assert not any("Successfully built" in x or "writing image" in x for x in lines)
        # By the time Ctrl-C reaches the caller, the kit has removed what the build made.
        left = _images_with_token(engine, token)
    finally:
        # Drop the interrupted stream, let a build still running end, and remove its images.
        del interrupted
        gc.collect()
        if builder == "buildkit":
            # The step after the marker sleeps 2 s: had the cancel not reached the engine, the
            # build would have tagged its image by now.
            time.sleep(4)
        finished = _settle_and_remove(engine, token, tag)
    assert left == [], f"the interrupted build left {len(left)} image(s) behind"
    assert not finished, "the interrupted build went on to tag its image"
    if builder == "buildkit":
        assert not _docker_cli_builds(tag), "the docker CLI is still running the build"


def _docker_cli_builds(tag: str) -> list[int]:
    """Pids of docker CLI processes still building ``tag``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if proc.name.isdigit() and tag.encode() in cmdline and b"build" in cmdline:
            found.append(int(proc.name))
    return found
