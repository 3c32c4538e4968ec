"""Builders without an engine: which docker CLI drives BuildKit (asked of fake CLIs), how a
BuildKit build runs and is cancelled through one, what the classic builder cannot build, and the
engine's errors explained by their line (engine messages recorded on this machine's dockerd 20.10).
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from kit.engine import BuildRequest
from kit.engine.buildkit import BuildKitCli, find_cli
from kit.errors import BuilderUnavailableError, UsageError
from kit.inputs import builders
from kit.inputs.dockerfile import Dockerfile
from kit.inputs.features import Feature, buildkit_only, explain
from kit.util.pids import alive

HOST = "unix:///run/test.sock"


def fake_cli(tmp_path: Path, name: str, version: str, buildx: bool, build: str = "") -> str:
    """A shell script answering like a docker CLI: ``version``, ``buildx version``, ``build``."""
    folder = tmp_path / name
    folder.mkdir()
    script = folder / "docker"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            if [ "$1" = version ]; then echo '{version}'; exit 0; fi
            if [ "$1" = buildx ] && [ "$2" = version ]; then
              {"echo 'github.com/docker/buildx v0.17.1'; exit 0" if buildx else "exit 1"}
            fi
            echo "$DOCKER_HOST $DOCKER_BUILDKIT $*" > "{folder}/called"
            {build}
            """
        )
    )
    script.chmod(0o755)
    return str(script)


def test_buildx_cli_preferred_to_a_legacy_one(tmp_path: Path) -> None:
    legacy = fake_cli(tmp_path, "old", "20.10.24+dfsg1", buildx=False)
    modern = fake_cli(tmp_path, "new", "28.1.1", buildx=True)
    found = find_cli(HOST, "20.10.24", [legacy, modern])
    assert (found.path, found.buildx, found.version) == (modern, True, "28.1.1")


def test_legacy_cli_when_no_buildx(tmp_path: Path) -> None:
    nobuildx = fake_cli(tmp_path, "new", "28.1.1", buildx=False)
    legacy = fake_cli(tmp_path, "old", "20.10.24+dfsg1", buildx=False)
    found = find_cli(HOST, "20.10.24", [nobuildx, legacy])
    assert (found.path, found.buildx) == (legacy, False)
    cmd = found.command(BuildRequest("/ctx", "Dockerfile.x", "t", {"A": "1"}, {}, True), "/i")
    assert cmd == [
        legacy, "build", "--progress=plain", "--network", "host", "--iidfile", "/i",
        "-t", "t", "-f", "/ctx/Dockerfile.x", "--build-arg", "A=1", "--no-cache", "/ctx",
    ]  # fmt: skip
    assert found.env()["DOCKER_BUILDKIT"] == "1" and found.env()["DOCKER_HOST"] == HOST


def test_no_cli_can_drive_buildkit_and_auto_falls_back(tmp_path: Path) -> None:
    nobuildx = fake_cli(tmp_path, "new", "28.1.1", buildx=False)
    found = find_cli(HOST, "20.10.24", [nobuildx])
    assert not found.available
    assert "28.1.1 has no buildx plugin" in found.note

    class FakeEngine:
        def buildkit(self) -> BuildKitCli:
            return found

    engine = FakeEngine()
    builder, note = builders.resolve("auto", engine)  # type: ignore[arg-type]
    assert builder == "classic" and note is not None and "no buildx plugin" in note
    assert builders.resolve("classic", engine) == ("classic", None)  # type: ignore[arg-type]
    with pytest.raises(BuilderUnavailableError, match="no buildx plugin"):
        builders.resolve("buildkit", engine)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="unknown builder"):
        builders.resolve("kaniko", engine)  # type: ignore[arg-type]


def test_engine_older_than_buildkit(tmp_path: Path) -> None:
    legacy = fake_cli(tmp_path, "old", "20.10.24", buildx=False)
    assert "predates BuildKit" in find_cli(HOST, "18.06.1-ce", [legacy]).note


def test_build_through_the_cli_reads_progress_and_image_id(tmp_path: Path) -> None:
    log = "#5 [2/2] RUN make\\n#5 sha256:" + "a" * 64 + "\\n#5 DONE 1.5s\\n"
    iid = 'while [ "$1" != --iidfile ]; do shift; done; echo sha256:abc > "$2"'
    cli = fake_cli(tmp_path, "old", "20.10.24", buildx=False, build=f'printf "{log}" >&2; {iid}')
    found = find_cli(HOST, "20.10.24", [cli])
    seen: list[str] = []
    stream = found.build(BuildRequest("/ctx", "D", "t", {}, {"k": "v"}), on_line=seen.append)
    assert stream.image_id == "sha256:abc" and stream.error is None
    assert seen == ["#5 [2/2] RUN make", "#5 DONE 1.5s"]  # the digest line is noise
    (step,) = stream.steps
    assert (step.instruction, step.cached, step.seconds) == ("RUN make", False, 1.5)
    called = (tmp_path / "old" / "called").read_text()
    assert called.startswith(f"{HOST} 1 build --progress=plain") and "--label k=v" in called


def test_failed_build_gives_the_clis_error_line(tmp_path: Path) -> None:
    out = (
        "#5 [2/2] RUN false\\n#5 ERROR: executor failed running [/bin/sh -c false]: exit code: 1\\n"
    )
    out += "------\\nexecutor failed running [/bin/sh -c false]: exit code: 1\\n"
    cli = fake_cli(tmp_path, "old", "20.10.24", buildx=False, build=f'printf "{out}"; exit 1')
    stream = find_cli(HOST, "20.10.24", [cli]).build(BuildRequest("/ctx", "D", "t", {}, {}))
    assert stream.image_id is None
    assert stream.error == "executor failed running [/bin/sh -c false]: exit code: 1"
    assert stream.log_tail[-1] == stream.error


def test_ctrl_c_stops_the_cli_and_its_children(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    body = f'sleep 60 & echo $! > {pids}; echo "#1 [1/1] RUN sleep"; wait'
    cli = fake_cli(tmp_path, "old", "20.10.24", buildx=False, build=body)
    found = find_cli(HOST, "20.10.24", [cli])

    def interrupt(line: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        found.build(BuildRequest("/ctx", "D", "t", {}, {}), on_line=interrupt)
    child = int(pids.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and alive(child):
        time.sleep(0.05)
    assert not alive(child), "the CLI's child outlived the cancel"


def test_classic_builder_refusals_name_each_line() -> None:
    d = Dockerfile.parse(
        "FROM --platform=linux/amd64 busybox AS a\n"
        "RUN --mount=type=cache,target=/x echo hi\n"
        "COPY --chown=1:1 --chmod=755 a /a\n"
        "COPY --link --from=a /a /b\n"
        "ADD --checksum=sha256:0 https://x/y /y\n"
        "RUN <<EOF\necho hi\nEOF\n"
    )
    assert buildkit_only(d) == [
        Feature(2, "`RUN --mount`"),
        Feature(3, "`COPY --chmod`"),
        Feature(4, "`COPY --link`"),
        Feature(5, "`ADD --checksum`"),
        Feature(6, "heredoc `RUN <<EOF`"),
    ]
    assert buildkit_only(Dockerfile.parse("FROM busybox\nCOPY --from=0 --chown=1 a b\n")) == []


HEREDOC = "FROM kitbase/busybox:1\nRUN <<EOF\necho hi\napt-get update\nEOF\n"


def test_heredoc_on_the_builtin_frontend_is_explained() -> None:
    error = (
        "failed to solve with frontend dockerfile.v0: failed to create LLB definition: "
        "dockerfile parse error line 3: unknown instruction: ECHO"
    )
    found = explain(Dockerfile.parse(HEREDOC, Path("Dockerfile.here")), "buildkit", error, "", {})
    assert found is not None and found.kind == "syntax"
    why = found.text
    assert why.startswith("Dockerfile.here, line 2: the heredoc `RUN <<EOF` is not supported by")
    assert "built-in Dockerfile frontend" in why and "read the heredoc's line 3" in why


def test_flag_unknown_to_the_builtin_frontend_is_explained() -> None:
    error = (
        "failed to solve with frontend dockerfile.v0: failed to create LLB definition: "
        "dockerfile parse error line 2: Unknown flag: link"
    )
    d = Dockerfile.parse("FROM busybox\nCOPY --link a /a\n", Path("Dockerfile.l"))
    found = explain(d, "buildkit", error, "", {})
    assert found is not None and found.kind == "syntax"
    assert found.text.startswith("Dockerfile.l, line 2: `COPY --link` is not supported")


def test_syntax_directive_offline_names_line_and_image() -> None:
    d = Dockerfile.parse("# syntax=docker/dockerfile:1.4\nFROM busybox\n", Path("Dockerfile.s"))
    error = (
        "failed to solve with frontend dockerfile.v0: failed to solve with frontend gateway.v0: "
        'failed to do request: Head "https://registry-1.docker.io/v2/docker/dockerfile/manifests/'
        '1.4": dial tcp: lookup registry-1.docker.io: no such host'
    )
    found = explain(d, "buildkit", error, "", {})
    assert found is not None and found.kind == "image"
    assert found.text.startswith("Dockerfile.s, line 1: `# syntax=docker/dockerfile:1.4` makes")


@pytest.mark.parametrize(
    ("builder", "error", "log"),
    [
        (
            "classic",
            'invalid from flag value someimage:1: Get "https://registry-1.docker.io/v2/": '
            "dial tcp: lookup registry-1.docker.io: no such host",
            "",
        ),
        (
            "buildkit",
            'failed to load cache key: failed to do request: Head "https://registry-1.docker.io/'
            'v2/library/someimage/manifests/1": dial tcp: no such host',
            " > FROM docker.io/library/someimage:1:",
        ),
    ],
)
def test_copy_from_an_image_the_registry_cannot_give(builder: str, error: str, log: str) -> None:
    d = Dockerfile.parse(
        "FROM kitbase/busybox:1\nCOPY --from=someimage:1 /x /x\n", Path("Dockerfile.c")
    )
    found = explain(d, builder, error, log, {})
    assert found is not None and found.kind == "image"
    assert found.text == (
        "Dockerfile.c, line 2: `COPY --from=someimage:1` needs the image someimage:1, which is "
        "not on the engine and whose registry does not answer"
    )


def test_a_plain_failure_is_not_explained() -> None:
    d = Dockerfile.parse("FROM busybox\nRUN false\n")
    assert explain(d, "buildkit", "executor failed running [/bin/sh -c false]", "", {}) is None


def test_a_run_step_that_could_not_download_is_not_blamed_on_the_base() -> None:
    d = Dockerfile.parse("FROM kitbase/node:18-slim\nRUN npm ci\n")
    log = "Step 1/2 : FROM kitbase/node:18-slim\nnpm ERR! dial tcp: lookup registry: no such host"
    error = "The command '/bin/sh -c npm ci' returned a non-zero code: 1"
    assert explain(d, "classic", error, log, {}) is None
