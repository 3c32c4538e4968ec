"""Each advise technique on Dockerfiles written the way people write them today (BuildKit
syntax, a USER, a venv, cache mounts): the candidate parses, has the intended change, and
changes nothing else. The expected texts are written here by hand, not by the code under test."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.advise.technique import Candidate, Context, techniques
from kit.inputs.app import load_app
from kit.inputs.dockerfile import Dockerfile
from kit.measure.answer import Answer
from kit.model.rows import ImageResult

NODE = """\
# syntax=docker/dockerfile:1
FROM node:18
WORKDIR /usr/src/app
COPY . .
RUN npm install
RUN apt-get update
RUN apt-get install -y curl
RUN rm -rf /var/lib/apt/lists/*
USER node
EXPOSE 3000
CMD ["node", "server.js"]
"""

PYTHON_VENV = """\
# syntax=docker/dockerfile:1
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
COPY . .
RUN useradd --create-home appuser
USER appuser
EXPOSE 8000
CMD ["python", "-m", "app"]
"""

DISTROLESS_READY = """\
# syntax=docker/dockerfile:1
FROM node:18 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY server.js ./

FROM node:18-slim
WORKDIR /app
COPY --from=build /app /app
CMD ["node", "server.js"]
"""


def derive(name: str, text: str, context: Path) -> Candidate:
    technique = next(t for t in techniques() if t.name == name)
    return technique.derive(Dockerfile.parse(text), text, Context(context))


def texts(text: str) -> list[str]:
    return [" ".join(x.text.split()) for x in Dockerfile.parse(text).instructions]


@pytest.fixture()
def node_app(tmp_path: Path) -> Path:
    tmp_path = tmp_path / "node"
    tmp_path.mkdir()
    for name in ("package.json", "package-lock.json", "server.js", "README.md"):
        (tmp_path / name).write_text("{}\n")
    (tmp_path / "test").mkdir()
    (tmp_path / ".git").mkdir()
    return tmp_path


@pytest.fixture()
def python_app(tmp_path: Path) -> Path:
    tmp_path = tmp_path / "python"
    tmp_path.mkdir()
    (tmp_path / "requirements.txt").write_text("bottle\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "docs").mkdir()
    return tmp_path


def changed(before: str, after: str) -> tuple[list[str], list[str]]:
    """(instructions only ``before`` has, instructions only ``after`` has)."""
    a, b = texts(before), texts(after)
    return [x for x in a if x not in b], [x for x in b if x not in a]


def test_every_technique_is_registered_once_in_rank_order() -> None:
    found = techniques()
    assert len({t.name for t in found}) == len(found) >= 9
    assert [t.rank for t in found] == sorted(t.rank for t in found)


def test_light_base_changes_the_from_only(node_app: Path) -> None:
    cand = derive("light-base", NODE, node_app)
    assert cand.status == "candidate"
    assert changed(NODE, str(cand.dockerfile)) == (["FROM node:18"], ["FROM node:18-slim"])


def test_light_base_keeps_the_build_arg(python_app: Path) -> None:
    cand = derive("light-base", PYTHON_VENV, python_app)
    assert changed(PYTHON_VENV, str(cand.dockerfile)) == (
        ["FROM python:${PYTHON_VERSION}"],
        ["FROM python:${PYTHON_VERSION}-slim"],
    )


def test_light_base_takes_the_users_table(tmp_path: Path) -> None:
    text = 'FROM ghcr.io/acme/base:2\nCMD ["true"]\n'
    technique = next(t for t in techniques() if t.name == "light-base")
    cand = technique.derive(
        Dockerfile.parse(text), text, Context(tmp_path, {"ghcr.io/acme/base:2": "acme/small:2"})
    )
    assert changed(text, str(cand.dockerfile)) == (
        ["FROM ghcr.io/acme/base:2"],
        ["FROM acme/small:2"],
    )
    assert derive("light-base", text, tmp_path).status == "n/a"


def test_distroless_only_where_the_release_runs_no_shell(node_app: Path) -> None:
    assert derive("distroless", NODE, node_app).status == "n/a"  # it RUNs in the release
    cand = derive("distroless", DISTROLESS_READY, node_app)
    assert changed(DISTROLESS_READY, str(cand.dockerfile)) == (
        ["FROM node:18-slim", 'CMD ["node", "server.js"]'],
        ["FROM gcr.io/distroless/nodejs18-debian12", 'CMD ["server.js"]'],
    )


def test_only_needed(node_app: Path, python_app: Path) -> None:
    cand = derive("only-needed", NODE, node_app)
    assert changed(NODE, str(cand.dockerfile)) == (
        ["RUN npm install", "RUN apt-get install -y curl"],
        ["RUN npm ci --omit=dev", "RUN apt-get install --no-install-recommends -y curl"],
    )
    # A pip cache mount: the cache never reaches the image, and --no-cache-dir would defeat it.
    assert derive("only-needed", PYTHON_VENV, python_app).status == "n/a"


def test_same_run_cleanup(node_app: Path) -> None:
    cand = derive("same-run-cleanup", NODE, node_app)
    before, after = changed(NODE, str(cand.dockerfile))
    assert before == ["RUN npm install"]
    assert after == ["RUN npm install && npm cache clean --force"]


def test_fold_cleanup(node_app: Path) -> None:
    cand = derive("fold-cleanup", NODE, node_app)
    assert changed(NODE, str(cand.dockerfile)) == (
        ["RUN apt-get install -y curl", "RUN rm -rf /var/lib/apt/lists/*"],
        ["RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*"],
    )


def test_chain_runs(node_app: Path) -> None:
    cand = derive("chain-runs", NODE, node_app)
    assert changed(NODE, str(cand.dockerfile)) == (
        [
            "RUN npm install",
            "RUN apt-get update",
            "RUN apt-get install -y curl",
            "RUN rm -rf /var/lib/apt/lists/*",
        ],
        [
            "RUN npm install && apt-get update && apt-get install -y curl "
            "&& rm -rf /var/lib/apt/lists/*"
        ],
    )


def test_chain_runs_keeps_mount_flags_apart(python_app: Path) -> None:
    assert derive("chain-runs", PYTHON_VENV, python_app).status == "n/a"


def test_cache_order(node_app: Path) -> None:
    cand = derive("cache-order", NODE, node_app)
    after = texts(str(cand.dockerfile))
    assert after[:5] == [
        "FROM node:18",
        "WORKDIR /usr/src/app",
        "COPY package.json package-lock.json ./",
        "RUN npm install",
        "COPY . .",
    ]
    assert sorted(after) == sorted([*texts(NODE), "COPY package.json package-lock.json ./"])


def test_ignore_file(node_app: Path, python_app: Path) -> None:
    cand = derive("ignore-file", NODE, node_app)
    assert cand.dockerfile == NODE  # the Dockerfile itself is unchanged
    ignored = [line for line in str(cand.ignore).splitlines() if not line.startswith("#")]
    assert ignored == [".git", "test", "*.md"]
    (python_app / ".dockerignore").write_text("*.log\n")
    cand = derive("ignore-file", PYTHON_VENV, python_app)
    assert str(cand.ignore).splitlines()[0] == "*.log"  # the user's lines kept first
    assert "docs" in str(cand.ignore).splitlines()
    assert "app" not in str(cand.ignore).splitlines()  # CMD runs it


def test_multi_stage_python_venv(python_app: Path) -> None:
    cand = derive("multi-stage", PYTHON_VENV, python_app)
    df = Dockerfile.parse(str(cand.dockerfile))
    assert [s.base for s in df.stages] == [
        "python:${PYTHON_VERSION}",
        "python:${PYTHON_VERSION}-slim",
    ]
    release = [x.text for x in df.stages[1].instructions]
    assert "COPY --from=build /opt/venv /opt/venv" in release
    assert "COPY --from=build --chown=appuser /app /app" in release
    assert "RUN useradd --create-home appuser" in release  # the user must exist there too
    assert release[-3:] == ["USER appuser", "EXPOSE 8000", 'CMD ["python", "-m", "app"]'] or (
        release[-2:] == ["USER appuser", 'CMD ["python", "-m", "app"]']
    )
    # The first stage is the original, named.
    assert texts(PYTHON_VENV)[2:] == [x.text for x in df.stages[0].instructions][1:]


def test_multi_stage_not_twice() -> None:
    assert derive("multi-stage", DISTROLESS_READY, Path(".")).why == "already multi-stage"


def test_discovery_skips_per_dockerfile_ignore_files(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile.a").write_text("FROM scratch\n")
    (tmp_path / "Dockerfile.a.dockerignore").write_text("tests\n")
    assert [v.name for v in load_app(tmp_path).variants] == ["a"]


class _FakeScratch:
    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def write(self, name: str, text: str, ignore: str | None) -> None:
        self.texts[name] = text


class _FakeAdvisor:
    """Measures nothing: a combination on a slim base 'answers' 500, any other 200; sizes are
    the text's length, so the test is about which techniques are kept, not about bytes."""

    def __init__(self) -> None:
        self.scratch = _FakeScratch()
        self.measured: list[str] = []

    def measure(self, names: list[str]) -> dict[str, object]:
        from kit.advise.advise import Checked

        name = names[0]
        self.measured.append(name)
        text = self.scratch.texts[name]
        status = 500 if "-slim" in text else 200
        return {
            name: Checked(
                _row(name, 10_000_000 - len(text) * 100_000), Answer("http", True, status)
            )
        }


def _row(variant: str, size: int) -> ImageResult:
    return ImageResult(
        "a", variant, "", "ok", None, None, "Dockerfile", None, 1, tag="t", size_bytes=size
    )


def test_a_breaking_combination_drops_techniques_one_at_a_time(node_app: Path) -> None:
    from kit.advise.advise import Checked, _advised

    chosen = [t for t in techniques() if t.name in ("chain-runs", "light-base")]
    original = Checked(_row("original", 10_000_000), Answer("http", True, 200))
    advisor = _FakeAdvisor()
    found = _advised(advisor, chosen, NODE, Path("Dockerfile"), Context(node_app), original)  # type: ignore[arg-type]
    assert advisor.measured == ["advised", "advised1"]
    assert found.dropped == ("light-base",)
    assert found.combined == ("chain-runs",)
    assert found.text is not None and "FROM node:18\n" in found.text
    assert found.advised is not None and found.advised.verdict == "saves"


def test_an_answer_that_differs_is_evidence() -> None:
    same = Answer("http", True, 200, "ok", user="node", cmd=("node", "server.js"))
    assert same.differences(same) == []
    other = Answer("http", True, 200, "ok", user="", cmd=("node", "server.js"))
    assert other.differences(same) == ["user 'node' (the original's '')"]


def test_cli_advise_input_errors_exit_2_before_any_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kit.cli.main import main

    assert main(["advise", str(tmp_path)]) == 2  # no Dockerfile there
    assert "no Dockerfile at" in capsys.readouterr().err
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    assert main(["advise", str(tmp_path), "--lighter", "node:18"]) == 2
    assert "IMAGE=LIGHTER" in capsys.readouterr().err


DOCKER_INIT_NODE = """\
# syntax=docker/dockerfile:1
ARG NODE_VERSION=18
FROM node:${NODE_VERSION}
ENV NODE_ENV production
WORKDIR /usr/src/app
RUN --mount=type=bind,source=package.json,target=package.json \\
    --mount=type=cache,target=/root/.npm \\
    npm ci
USER node
COPY . .
EXPOSE 3000
CMD ["node", "src/index.js"]
"""


def test_a_rewritten_run_keeps_its_mounts(node_app: Path) -> None:
    cand = derive("only-needed", DOCKER_INIT_NODE, node_app)
    before = Dockerfile.parse(DOCKER_INIT_NODE).instructions[4]
    after = Dockerfile.parse(str(cand.dockerfile)).instructions[4]
    assert after.flags == before.flags
    assert after.args == "npm ci --omit=dev"
    assert changed(DOCKER_INIT_NODE, str(cand.dockerfile))[0] == [" ".join(before.text.split())]
    # Nothing to clean: the npm cache is in a cache mount.
    assert derive("same-run-cleanup", DOCKER_INIT_NODE, node_app).status == "n/a"
