"""The bundled notes-api app, written against the official Python images, under each builder:
offline on the embedded bases tagged under the official names (``kit bases --as-official``).

BuildKit builds all three variants; the classic builder refuses ``cache-mount`` with a clear
failed row naming the line, and builds the others — every stage of ``multistage``, the ``dev``
stage the release does not use included. Every built variant answers its http probe. Expected
values come from the Dockerfiles read by hand and from containers of the built images.

The app is copied to a temp dir named ``eng-notes-api`` so its images are the engine tests'
own (``kitexp/eng-*``, removed after each test) and never the notebooks'.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_checks import official_names as tagged_official

from kit.engine import Engine
from kit.model.results import Results

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "dockerfiles" / "notes-api"
OFFICIAL = ("python:3.11", "python:3.11-slim")
BASES = ("kitbase/python:3.11-full", "kitbase/python:3.11-slim")


@pytest.fixture()
def notes_api(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the app, with the official names tagged on the embedded bases where the engine
    lacks them (recorded in a private state dir, so only those are untagged afterwards)."""
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    with tagged_official(engine, tmp_path / "state", BASES, OFFICIAL):
        copy = tmp_path / "eng-notes-api"
        shutil.copytree(SOURCE, copy)
        yield copy


def _line_of(dockerfile: str, needle: str) -> int:
    lines = (SOURCE / dockerfile).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(needle))


def _apt_lists_bytes(engine: Engine, image: str) -> int:
    """Bytes of the files under /var/lib/apt/lists, as du in a container of the image says."""
    made = engine.api.create_container(
        image,
        command=["sh", "-c", "find /var/lib/apt/lists -type f -exec cat {} + | wc -c"],
        user="0",
        host_config=engine.api.create_host_config(network_mode="none"),
    )
    try:
        engine.api.start(made["Id"])
        assert int(engine.api.wait(made["Id"], timeout=60)["StatusCode"]) == 0
        return int(engine.api.logs(made["Id"], stdout=True, stderr=False).decode().strip())
    finally:
        engine.api.remove_container(made["Id"], force=True)


def test_notes_api_under_each_builder(
    engine: Engine,
    measure: Callable[..., Results],
    check,
    builder: str,
    notes_api: Path,
    no_leaks: None,
) -> None:
    results = measure(str(notes_api), builder=builder, floor=False, contents=False)
    assert results.run.builder == builder
    single, multistage = check.ok(results, "single"), check.ok(results, "multistage")
    # Each started container passed the http probe on /healthz (check.ok: every trial ok).
    # The stages each builder ran, by hand from Dockerfile.multistage: the release needs `build`
    # (COPY --from=build), nothing needs `dev`.
    expected = "build, release" if builder == "buildkit" else "build, dev, release"
    assert multistage.stages_built == expected
    assert single.stages_built == "stage-0"
    lists = {b.variant: b.bytes for b in results.rule_bytes if b.rule == "DL3009"}
    assert single.tag is not None
    assert lists["single"] == _apt_lists_bytes(engine, single.tag) > 1_000_000
    assert lists["multistage"] == 0
    if builder == "classic":
        line = _line_of("Dockerfile.cache-mount", "RUN --mount")
        check.failed(
            results,
            "cache-mount",
            "BuilderSyntaxError",
            "Dockerfile.cache-mount needs BuildKit",
            f"line {line}: `RUN --mount`",
            built=False,
        )
        return
    mounted = check.ok(results, "cache-mount")
    assert mounted.tag is not None
    # The cache mounts kept apt's lists out of every layer; without them, single carries them.
    assert lists["cache-mount"] == 0 == _apt_lists_bytes(engine, mounted.tag)
    inspected = {
        r.variant: engine.api.inspect_image(r.tag)["Size"] for r in (single, mounted) if r.tag
    }
    assert inspected["single"] - inspected["cache-mount"] >= lists["single"]
