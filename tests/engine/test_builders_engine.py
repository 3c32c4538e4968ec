"""The two builders on a real engine: what each can build, the clear errors for what it cannot,
and what differs between them (steps reported, history, stages built).

Expected values come from the engine (its inspect, its version) and from reading the fixture
Dockerfiles in ``apps/eng-builders`` by hand.
"""

from __future__ import annotations

from collections.abc import Callable

from kit.engine import Engine
from kit.errors import BaseImageError, BuilderSyntaxError
from kit.inputs.app import load_app
from kit.measure.build import build, build_cold_and_warm
from kit.measure.stages import stage_sizes
from kit.model.results import Results
from kit.model.samples import StageSize

Measure = Callable[..., Results]
APP = "eng-builders"


def _frontend_has_heredocs(engine: Engine) -> bool:
    """Docker 20.10's built-in Dockerfile frontend has no heredocs; Engine 23+'s has."""
    return int(engine.info().version.split(".")[0]) >= 23


def _exit_code(engine: Engine, image: str, script: str) -> int:
    made = engine.api.create_container(
        image,
        command=["sh", "-c", script],
        host_config=engine.api.create_host_config(network_mode="none"),
    )
    try:
        engine.api.start(made["Id"])
        return int(engine.api.wait(made["Id"], timeout=60)["StatusCode"])
    finally:
        engine.api.remove_container(made["Id"], force=True)


def test_each_builder_on_syntax_it_has_and_lacks(
    engine: Engine, measure: Measure, check, builder: str, no_leaks: None
) -> None:
    results = measure(APP, builder=builder)
    assert results.run.builder == builder and results.run.requested_builder == builder
    assert set(results.images["builder"]) == {builder}  # the envelope, on every row
    check.ok(results, "ok")
    copyfrom = check.failed(results, "copyfrom", "BaseImageError", built=False)
    assert copyfrom.error is not None
    assert "Dockerfile.copyfrom, line 2" in copyfrom.error
    assert "kit-engine-test-absent/tools:1" in copyfrom.error
    if builder == "classic":
        for variant, line, what in [
            ("mount", 3, "`RUN --mount`"),
            ("heredoc", 2, "heredoc `RUN <<EOF`"),
            ("link", 2, "`COPY --link`"),
        ]:
            r = check.failed(results, variant, "BuilderSyntaxError", built=False)
            assert r.error == (
                f"Dockerfile.{variant} needs BuildKit (the classic builder cannot build it): "
                f"line {line}: {what}"
            )
        check.ok(results, "syntax")  # to the classic builder the directive is a comment
        return
    mount = check.ok(results, "mount")
    # The cache mount's file is not in the image: /done is, /cache/x is not.
    assert _exit_code(engine, str(mount.tag), "test -f /done && ! test -e /cache/x") == 0
    syntax = check.failed(results, "syntax", "BaseImageError", built=False)
    assert syntax.error is not None
    # Refused before the build (the local profile: nothing can be pulled), with its line.
    assert "Dockerfile.syntax, line 1: `# syntax=docker/dockerfile:1.4`" in syntax.error
    assert "image docker/dockerfile:1.4, which is not on the engine" in syntax.error
    if _frontend_has_heredocs(engine):
        check.ok(results, "heredoc")
        check.ok(results, "link")
        return
    heredoc = check.failed(results, "heredoc", "BuilderSyntaxError", built=False)
    assert heredoc.error is not None
    assert heredoc.error.startswith(
        "Dockerfile.heredoc, line 2: the heredoc `RUN <<EOF` is not supported by this engine's "
        "built-in Dockerfile frontend"
    )
    link = check.failed(results, "link", "BuilderSyntaxError", built=False)
    assert link.error is not None and "line 2: `COPY --link` is not supported" in link.error


def test_errors_raise_their_exact_class(check, builder: str, no_leaks: None) -> None:
    error = check.build_error(APP, "copyfrom", builder=builder)
    assert type(error) is BaseImageError and error.hint is not None
    if builder == "classic":
        assert type(check.build_error(APP, "mount", builder=builder)) is BuilderSyntaxError


def test_steps_reported_by_each_builder(
    engine: Engine, check, builder: str, no_leaks: None
) -> None:
    app = load_app(check.app_dir("eng-rebuild"))
    variant = next(v for v in app.variants if v.name == "deps-first")
    cold, warm = build_cold_and_warm(engine, app, variant, "local", builder=builder)
    keywords = [s.keyword for s in cold.steps]
    instructions = [x.keyword for x in variant.file.instructions]
    if builder == "classic":
        # One step per instruction, then one LABEL per build label of the kit's.
        assert keywords[: len(instructions)] == instructions
        assert set(keywords[len(instructions) :]) == {"LABEL"}
    else:
        # Only the steps that change the filesystem: no CMD, no LABEL.
        assert keywords == [k for k in instructions if k in ("FROM", "WORKDIR", "COPY", "RUN")]
        # BuildKit's own time for every step it ran (a cached one has none).
        assert all(s.seconds is not None for s in cold.steps if not s.cached)
    # Cold: nothing copied or run comes from the cache (BuildKit 20.10 may still report a
    # WORKDIR as CACHED under --no-cache: it says so itself, so the kit reports it).
    assert not any(s.cached for s in cold.steps if s.keyword in ("COPY", "RUN"))
    assert all(s.cached for s in warm.steps if s.keyword != "FROM")
    history = engine.api.history(warm.image_id)
    labels = len(history) - len(engine.api.history("kitbase/busybox:1"))
    # The classic builder records every instruction and each kit label in the history.
    expected = len(instructions) - 1 + (4 if builder == "classic" else 0)
    assert labels == expected
    engine.images.remove(cold.tag)


def test_target_builds_only_what_buildkit_needs(
    engine: Engine, check, builder: str, no_leaks: None, tmp_path
) -> None:
    (tmp_path / "Dockerfile.two").write_text(
        "FROM kitbase/busybox:1 AS unused\nRUN echo unused-stage-ran\n"
        "FROM kitbase/busybox:1 AS wanted\nRUN echo wanted-stage-ran\n"
    )
    app = load_app(tmp_path)
    lines: list[str] = []
    before = engine.images.ids()
    built = build(
        engine, app, app.variants[0], "local", nocache=True, builder=builder,
        on_line=lines.append, target="wanted", tag="kitexp/eng-target:two",
    )  # fmt: skip
    try:
        ran = "\n".join(lines)
        assert "wanted-stage-ran" in ran
        # The classic builder builds every stage up to the target; BuildKit only what it needs.
        assert ("unused-stage-ran" in ran) == (builder == "classic")
        assert app.variants[0].file.needed_stages(1) == (1,)
    finally:
        engine.images.remove(built.tag)
        engine.images.remove_dangling_since(before)  # the classic builder's stage images


def test_stage_sizes_under_each_builder(
    engine: Engine, check, builder: str, no_leaks: None, tmp_path
) -> None:
    (tmp_path / "Dockerfile.multi").write_text(
        "FROM kitbase/busybox:1 AS build\n"
        "RUN head -c 100000 /dev/zero > /big && head -c 3000 /dev/zero > /small\n"
        "FROM kitbase/busybox:1 AS release\n"
        "COPY --from=build /small /small\n"
    )
    app = load_app(tmp_path)
    variant = app.variants[0]
    found: list[StageSize] = []

    def sizes() -> None:
        found.extend(stage_sizes(engine, app, variant, "local", builder=builder))

    cold, _ = build_cold_and_warm(
        engine, app, variant, "local", while_cached=sizes, builder=builder
    )
    try:
        base = int(engine.api.inspect_image("kitbase/busybox:1")["Size"])
        # Worked out by hand: the build stage holds both files, the release only the small one.
        assert [(s.stage, s.index, s.size_bytes, s.release) for s in found] == [
            ("build", 0, base + 103000, False),
            ("release", 1, base + 3000, True),
        ]
    finally:
        engine.images.remove(cold.tag)
