"""Failures that explain themselves, from builds recorded on this machine's dockerd 20.10
(``record_failure_logs.py``: each Dockerfile under ``fixtures/failures`` built on a Debian node 18
image with npm 9, by the classic builder through the SDK and by BuildKit through the 20.10 CLI).

A failed ``RUN`` names its Dockerfile, line and cause under either builder; log tails hold no
colour codes; the checks before a build name every blocker at once; advice is only what applies.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fake_api import FakeAPIClient
from test_unit_builders import HOST, fake_cli

from kit.engine import Engine
from kit.engine.buildkit import find_cli
from kit.engine.buildlog import Lines, PlainProgress
from kit.engine.causes import cause_of, exit_code
from kit.errors import BaseImageError, BuildError, BuilderSyntaxError, KitError
from kit.inputs.app import App, Variant, load_app
from kit.measure.advice import image_hint
from kit.measure.build import build
from kit.measure.preflight import preflight

FAILURES = Path(__file__).parent / "fixtures" / "failures"
NPM_ENGINE = (
    "npm ERR! engine Unsupported engine: Not compatible with your version of node/npm: "
    'npm@12.2.3; Required: {"node":"^22.22.2 || ^24.15.0 || >=26.0.0"}; Actual: {"npm":"9.2.0"} '
    "(EBADENGINE)"
)
EACCES = "npm ERR! Error: EACCES: permission denied, mkdir '/app/node_modules' (EACCES)"


def recorded_app(tmp_path: Path, case: str) -> tuple[App, Variant]:
    """An app holding one recorded case's Dockerfile (and the package.json it copies)."""
    app_dir = tmp_path / "failures"
    app_dir.mkdir()
    shutil.copy(FAILURES / f"Dockerfile.{case}", app_dir)
    shutil.copy(FAILURES / "package.json", app_dir)
    (app_dir / "experiment.toml").write_text("")
    app = load_app(app_dir)
    return app, next(v for v in app.variants if v.name == case)


def classic_events(case: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads((FAILURES / f"{case}.classic.json").read_text())
    return events


def failed_build(
    tmp_path: Path,
    fake_engine: Engine,
    fake_api: FakeAPIClient,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    builder: str,
) -> BuildError:
    """The error ``kit.measure.build.build`` raises on the recorded failure, the classic
    builder's events replayed by the fake engine, BuildKit's log printed by a fake CLI."""
    app, variant = recorded_app(tmp_path, case)
    if builder == "classic":
        fake_api.builds = [classic_events(case)]
    else:
        log = FAILURES / f"{case}.buildkit.log"
        cli = fake_cli(tmp_path, "cli", "20.10.24", buildx=False, build=f'cat "{log}"; exit 1')
        found = find_cli(HOST, "20.10.24", [cli])
        monkeypatch.setattr(fake_engine, "_buildkit", found)  # the CLI it found, as if asked
    with pytest.raises(BuildError) as raised:
        build(fake_engine, app, variant, "hub", nocache=True, builder=builder)
    return raised.value


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
@pytest.mark.parametrize(
    ("case", "line", "instruction", "code", "cause"),
    [
        ("npm-engine", 7, "RUN npm i npm@latest -g", 1, NPM_ENGINE),
        # A continued RUN: its first line, its text joined as both builders print it.
        (
            "not-found",
            5,
            "RUN echo building  && yarn --version",
            127,
            "/bin/sh: 1: yarn: not found",
        ),
        (
            "apt-missing",
            3,
            # cut at 80 characters
            "RUN apt-get update -qq  && apt-get install -y -qq --no-install-recommends no-su…",
            100,
            "E: Unable to locate package no-such-package-kit",
        ),
    ],
)
def test_a_failed_run_names_file_line_and_cause(
    tmp_path: Path,
    fake_engine: Engine,
    fake_api: FakeAPIClient,
    monkeypatch: pytest.MonkeyPatch,
    builder: str,
    case: str,
    line: int,
    instruction: str,
    code: int,
    cause: str,
) -> None:
    error = failed_build(tmp_path, fake_engine, fake_api, monkeypatch, case, builder)
    assert type(error) is BuildError
    assert error.message == f"Dockerfile.{case}, line {line}: `{instruction}` failed " + (
        f"(exit code {code}): {cause}"
    )
    assert (error.line, error.cause, error.variant) == (line, cause, case)
    assert error.file is not None and error.file.endswith(f"Dockerfile.{case}")
    assert error.context()["line"] == str(line) and error.context()["cause"] == cause
    assert f"line={line}" in str(error)


def test_the_classic_builders_root_workdir_after_user_is_explained(
    tmp_path: Path, fake_engine: Engine, fake_api: FakeAPIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = failed_build(tmp_path, fake_engine, fake_api, monkeypatch, "workdir-user", "classic")
    assert error.message == (
        "Dockerfile.workdir-user, line 7: `RUN npm install --no-audit --no-fund` failed (exit "
        f"code 243): {EACCES} — the classic builder created WORKDIR /app (line 5) owned by root, "
        "although `USER nobody` (line 4) came before it"
    )
    assert error.hint is not None
    assert "`RUN mkdir -p /app && chown nobody /app`" in error.hint
    assert "`COPY --chown=nobody`" in error.hint and "WORKDIR /app before USER" in error.hint


def test_buildkit_made_that_workdir_for_the_user_and_the_same_step_passed() -> None:
    """The recorded BuildKit build of the same Dockerfile: the install ran and finished."""
    progress = PlainProgress()
    for raw in (FAILURES / "workdir-user.buildkit.log").read_bytes().split(b"\n"):
        progress(raw.decode())
    assert progress.failed is None
    run = next(s for s in progress.steps if s.keyword == "RUN")
    assert (run.instruction, run.seconds) == ("RUN npm install --no-audit --no-fund", 1.8)


def test_no_workdir_blame_without_a_user_before_it(
    tmp_path: Path, fake_engine: Engine, fake_api: FakeAPIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same denial with WORKDIR before USER: the directory is not the builder's doing."""
    app, variant = recorded_app(tmp_path, "workdir-user")
    text = variant.dockerfile.read_text().replace(
        "USER nobody\nWORKDIR /app\n", "WORKDIR /app\nUSER nobody\n"
    )
    variant.dockerfile.write_text(text)
    app = load_app(app.directory)
    variant = next(v for v in app.variants if v.name == "workdir-user")
    fake_api.builds = [classic_events("workdir-user")]
    with pytest.raises(BuildError) as raised:
        build(fake_engine, app, variant, "hub", nocache=True, builder="classic")
    assert raised.value.message.endswith(f"failed (exit code 243): {EACCES}")
    assert raised.value.hint is None


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_log_tails_hold_no_colour_codes_or_redraws(
    tmp_path: Path,
    fake_engine: Engine,
    fake_api: FakeAPIClient,
    monkeypatch: pytest.MonkeyPatch,
    builder: str,
) -> None:
    error = failed_build(tmp_path, fake_engine, fake_api, monkeypatch, "colour", builder)
    tail = "\n".join(error.log_tail)
    assert "\x1b" not in tail and "\r" not in tail and "\x07" not in tail
    said = [line.split(" ", 2)[-1] if builder == "buildkit" else line for line in error.log_tail]
    assert {"boom", "loading 100%", "warning: colour on stderr"} <= set(said)
    assert "loading 10%" not in said  # redrawn by the counter's next value
    assert error.message.endswith("failed (exit code 4): loading 100%")


def test_classic_pieces_are_joined_into_the_lines_npm_printed(
    fake_engine: Engine, fake_api: FakeAPIClient
) -> None:
    fake_api.builds = [classic_events("npm-engine")]
    stream = fake_engine.builds.build("/ctx", "D", tag="t", buildargs={}, labels={}, nocache=True)
    assert "npm ERR! code EBADENGINE" in stream.log_tail
    assert 'npm ERR! notsup Required: {"node":"^22.22.2 || ^24.15.0 || >=26.0.0"}' in (
        stream.log_tail
    )
    assert not [line for line in stream.log_tail if line in ("npm", "ERR!", "code")]
    assert stream.failed is not None and stream.failed.step.number == 6


def test_an_error_set_with_a_containers_log_is_cleaned_too() -> None:
    err = KitError("exited", log_tail=["\x1b[32mready\x1b[0m"])
    assert err.log_tail == ("ready",)
    err.log_tail = ("\x1b]0;title\x07\x1b[1;31mcrash\x1b[0m", "\x1b[0m", "50%\r100%")
    assert err.log_tail == ("crash", "100%")


def test_lines_join_pieces_and_keep_a_last_unfinished_one() -> None:
    lines = Lines()
    assert lines.feed("\x1b[91mnpm\x1b[0m") == []
    assert lines.feed("\x1b[91m ERR! code E1\n\x1b[0mnext ") == ["npm ERR! code E1"]
    assert lines.flush() == ["next"]


@pytest.mark.parametrize(
    ("output", "cause"),
    [
        # npm 10+ words it "npm error" (the form the brief quotes from npm 11 on node 18).
        (
            [
                "npm error code EBADENGINE",
                "npm error engine Unsupported engine",
                "npm error engine Not compatible with your version of node/npm: npm@11.0.0",
                "npm error notsup Not compatible with your version of node/npm: npm@11.0.0",
                'npm error notsup Required: {"node":"^20.17.0 || >=22.9.0"}',
                'npm error notsup Actual:   {"npm":"10.8.2","node":"v18.20.4"}',
                "npm error A complete log of this run can be found in: /root/.npm/_logs/x.log",
            ],
            "npm error engine Unsupported engine: Not compatible with your version of node/npm: "
            'npm@11.0.0; Required: {"node":"^20.17.0 || >=22.9.0"}; Actual: '
            '{"npm":"10.8.2","node":"v18.20.4"} (EBADENGINE)',
        ),
        (
            [
                "Collecting nosuchpkg",
                "ERROR: Could not find a version that satisfies the requirement nosuchpkg",
                "ERROR: No matching distribution found for nosuchpkg",
            ],
            "ERROR: No matching distribution found for nosuchpkg",
        ),
        (
            [
                "error: externally-managed-environment",
                "× This environment is externally managed",
                "╰─> To install Python packages system-wide, try apt install",
                "hint: See PEP 668 for the detailed specification.",
            ],
            "error: externally-managed-environment",
        ),
        (["/bin/sh: nosuchtool: not found"], "/bin/sh: nosuchtool: not found"),  # busybox
        (
            # A script's own failure: npm's block says only that the command failed.
            [
                "Error: Cannot find module '/app/build.js'",
                "    at Module._resolveFilename (node:internal/modules/cjs/loader:1134:15)",
                "npm ERR! code 1",
                "npm ERR! path /app",
                "npm ERR! command failed",
                "npm ERR! command sh -c node build.js",
            ],
            "Error: Cannot find module '/app/build.js'",
        ),
        (["compiling", "", "done 3 of 4"], "done 3 of 4"),
        ([], None),
    ],
)
def test_the_cause_is_the_most_telling_line(output: list[str], cause: str | None) -> None:
    assert cause_of(output) == cause


def test_exit_codes_from_either_builders_words() -> None:
    assert exit_code("executor failed running [/bin/sh -c false]: exit code: 1") == 1
    assert exit_code("The command '/bin/sh -c x' returned a non-zero code: 127") == 127
    assert exit_code('process "/bin/sh -c x" did not complete successfully: exit code: 2') == 2
    assert exit_code("COPY failed: file not found in build context") is None


BLOCKED = """\
# syntax=docker/dockerfile:1.4
FROM node:18-alpine AS build
COPY --link package.json /app/
RUN <<EOF
npm ci
EOF
FROM kitbase/debian:12-slim
COPY --from=someimage:1 /x /x
"""


def app_with(tmp_path: Path, text: str) -> tuple[App, Variant]:
    app_dir = tmp_path / "blocked"
    app_dir.mkdir()
    (app_dir / "Dockerfile.v").write_text(text)
    (app_dir / "experiment.toml").write_text("")
    app = load_app(app_dir)
    return app, app.variants[0]


def test_every_blocker_offline_in_one_error(tmp_path: Path, fake_engine: Engine) -> None:
    app, variant = app_with(tmp_path, BLOCKED)
    with pytest.raises(BuildError) as raised:
        preflight(fake_engine, app, variant, "local", "buildkit")
    error = raised.value
    assert type(error) is BuildError  # images and syntax both: neither subclass alone
    assert error.message.startswith("Dockerfile.v cannot build here, for 6 reasons: line 1: ")
    for line, what in [
        (1, "`# syntax=docker/dockerfile:1.4` makes BuildKit fetch"),
        (2, "`FROM node:18-alpine` needs the image node:18-alpine"),
        (3, "`COPY --link` is not supported by this engine's built-in Dockerfile frontend"),
        (4, "the heredoc `RUN <<EOF` is not supported"),
        (7, "`FROM kitbase/debian:12-slim` needs the image kitbase/debian:12-slim"),
        (8, "`COPY --from=someimage:1` needs the image someimage:1"),
    ]:
        assert f"line {line}: {what}" in error.message
    assert error.line == 1
    assert error.hint is not None and "run `kit bases` to make kitbase/debian:12-slim" in error.hint


def test_the_classic_builder_lists_its_blockers_but_no_syntax_line(
    tmp_path: Path, fake_engine: Engine
) -> None:
    app, variant = app_with(tmp_path, BLOCKED)
    fake = fake_engine.images.inspect  # the fake engine holds kitbase/busybox:1, not these
    assert fake("kitbase/debian:12-slim") is None and fake("node:18-alpine") is None
    with pytest.raises(BuildError) as raised:
        preflight(fake_engine, app, variant, "local", "classic")
    message = raised.value.message
    assert "for 5 reasons" in message and "line 1" not in message  # a comment to it
    assert "line 3: `COPY --link` needs BuildKit" in message
    assert "line 4: heredoc `RUN <<EOF` needs BuildKit" in message


def test_one_blocker_reads_as_one_line(tmp_path: Path, fake_engine: Engine) -> None:
    app, variant = app_with(
        tmp_path, "FROM kitbase/busybox:1\nRUN --mount=type=cache,target=/x true\n"
    )
    with pytest.raises(BuilderSyntaxError) as raised:
        preflight(fake_engine, app, variant, "local", "classic")
    assert raised.value.message == (
        "Dockerfile.v needs BuildKit (the classic builder cannot build it): line 2: `RUN --mount`"
    )
    preflight(fake_engine, app, variant, "local", "buildkit")  # 20.10's frontend has mounts


def test_an_alpine_base_gets_no_advice_to_use_bases_that_do_not_exist(
    tmp_path: Path, fake_engine: Engine
) -> None:
    app, variant = app_with(tmp_path, "FROM node:18-alpine\nCMD node\n")
    with pytest.raises(BaseImageError) as raised:
        preflight(fake_engine, app, variant, "local", "buildkit")
    hint = raised.value.hint
    assert hint is not None
    assert hint.startswith("no embedded stand-in exists for node:18-alpine (the kit's bases ")
    assert "node:18-slim" in hint and "python:3.11-slim" in hint  # kit/host/bases.py's names
    assert "--profile hub" in hint and "kit bases" not in hint


def test_an_official_name_with_a_stand_in_gets_the_way_to_make_it(
    tmp_path: Path, fake_engine: Engine
) -> None:
    app, variant = app_with(tmp_path, "FROM node:18-slim\nCMD node\n")
    with pytest.raises(BaseImageError) as raised:
        preflight(fake_engine, app, variant, "local", "buildkit")
    assert raised.value.hint == (
        "run `kit bases --as-official` to make the embedded stand-ins for node:18-slim "
        "(as kitbase/node:18-slim)"
    )


def test_no_offline_blockers_where_images_can_be_pulled(
    tmp_path: Path, fake_engine: Engine
) -> None:
    app, variant = app_with(tmp_path, textwrap.dedent("""\
        # syntax=docker/dockerfile:1.4
        FROM node:18-alpine
        RUN <<EOF
        npm ci
        EOF
        """))  # fmt: skip
    preflight(fake_engine, app, variant, "hub", "buildkit")  # the frontend is fetched


def test_advice_for_names_the_kit_does_not_make_and_for_a_local_profile_it_can() -> None:
    assert image_hint(["kitbase/nope:1"], "local").startswith(
        "`kit bases` makes no kitbase/nope:1 (it makes kitbase/busybox:1, kitbase/debian:12, "
    )
    # Under the hub profile, the local profile is offered only when the kit makes its bases.
    assert image_hint(["node:18-alpine"], "hub", ["kitbase/node:18-slim"]) == (
        "build with `--profile local`, on this experiment's embedded bases "
        "(kitbase/node:18-slim; `kit bases --as-official` makes them)"
    )
    assert "--profile local" not in image_hint(["node:18-alpine"], "hub", ["kitbase/nope:1"])
    assert "--profile hub" not in image_hint(["node:18-alpine"], "hub")
