"""kit.inputs.profiles: which images a Dockerfile's stages start from, and profile resolution."""

from __future__ import annotations

from pathlib import Path

import docker.errors
import pytest
import requests
import requests.exceptions
from fake_api import FakeAPIClient, FakeDockerClient

from kit.engine import Engine
from kit.errors import ExperimentConfigError
from kit.inputs import profiles
from kit.inputs.dockerfile import Dockerfile
from kit.inputs.profiles import resolve


def stages(text: str, args: dict[str, str]) -> list[tuple[str | None, str]]:
    return Dockerfile.parse(text).resolved(args)


def base_images(text: str, args: dict[str, str]) -> list[str]:
    return Dockerfile.parse(text).base_images(args)


def release_base(text: str, args: dict[str, str]) -> str | None:
    return Dockerfile.parse(text).release_base(args)


MULTISTAGE = """\
# The seed's multi-stage build
ARG NODE_BUILD=kitbase/node:18-slim
ARG NODE_RUNTIME="kitbase/node:18-runtime"

FROM ${NODE_BUILD} AS base
WORKDIR /app

FROM base AS build
RUN npm ci --omit=dev

FROM $NODE_RUNTIME AS release
COPY --from=build /app/node_modules ./node_modules
"""


def test_stages_substitute_arg_defaults() -> None:
    assert stages(MULTISTAGE, {}) == [
        ("base", "kitbase/node:18-slim"),
        ("build", "base"),
        ("release", "kitbase/node:18-runtime"),
    ]


def test_build_args_override_defaults() -> None:
    args = {"NODE_BUILD": "node:18-alpine", "NODE_RUNTIME": "node:18-alpine", "UNUSED": "x"}
    assert stages(MULTISTAGE, args) == [
        ("base", "node:18-alpine"),
        ("build", "base"),
        ("release", "node:18-alpine"),
    ]
    assert base_images(MULTISTAGE, args) == ["node:18-alpine"]
    assert release_base(MULTISTAGE, args) == "node:18-alpine"


def test_base_images_skip_stage_names_and_duplicates() -> None:
    assert base_images(MULTISTAGE, {}) == ["kitbase/node:18-slim", "kitbase/node:18-runtime"]


def test_release_base_follows_aliases() -> None:
    text = "FROM kitbase/debian:12 AS one\nFROM one AS two\nFROM two\n"
    assert release_base(text, {}) == "kitbase/debian:12"
    assert base_images(text, {}) == ["kitbase/debian:12"]
    assert release_base(MULTISTAGE, {}) == "kitbase/node:18-runtime"


def test_release_base_of_the_last_stage_only() -> None:
    text = "FROM kitbase/node:18-full AS build\nFROM kitbase/busybox:1\nCOPY --from=build / /\n"
    assert release_base(text, {}) == "kitbase/busybox:1"
    assert base_images(text, {}) == ["kitbase/node:18-full", "kitbase/busybox:1"]


def test_dollar_var_and_braced_var_forms() -> None:
    text = "ARG A=alpha:1\nARG B=beta\nFROM $A AS x\nFROM ${B}:2-${A}\n"
    assert stages(text, {}) == [("x", "alpha:1"), (None, "beta:2-alpha:1")]


def test_arg_without_default_is_empty_unless_given() -> None:
    text = "ARG REGISTRY\nFROM ${REGISTRY}busybox:1\n"
    assert stages(text, {}) == [(None, "busybox:1")]
    assert stages(text, {"REGISTRY": "mirror.local/"}) == [(None, "mirror.local/busybox:1")]


def test_args_after_first_from_are_not_global() -> None:
    text = "FROM kitbase/debian:12\nARG LATER=nope\nFROM ${LATER}x\n"
    assert stages(text, {}) == [(None, "kitbase/debian:12"), (None, "x")]


def test_scratch_is_not_a_base_image() -> None:
    text = "FROM kitbase/debian:12 AS get\nFROM scratch\nCOPY --from=get /bin/busybox /bin/\n"
    assert base_images(text, {}) == ["kitbase/debian:12"]
    assert release_base(text, {}) == "scratch"
    assert base_images("FROM SCRATCH\n", {}) == []


def test_from_platform_flag() -> None:
    text = "FROM --platform=linux/arm64 kitbase/debian:12 AS b\nFROM --platform=$BUILDPLATFORM b\n"
    assert stages(text, {}) == [("b", "kitbase/debian:12"), (None, "b")]
    assert base_images(text, {}) == ["kitbase/debian:12"]
    assert release_base(text, {}) == "kitbase/debian:12"


def test_lowercase_keywords_and_comments() -> None:
    text = "# FROM not-an-image\narg IMG=kitbase/busybox:1\nfrom $IMG as small\n"
    assert stages(text, {}) == [("small", "kitbase/busybox:1")]


def test_no_from() -> None:
    assert stages("ARG X=1\n", {}) == []
    assert base_images("", {}) == []
    assert release_base("RUN true\n", {}) is None


def test_real_node_server_dockerfiles() -> None:
    app = Path(__file__).resolve().parents[2] / "dockerfiles" / "node-server"
    multistage = (app / "Dockerfile.multistage").read_text()
    full = (app / "Dockerfile.full").read_text()
    assert base_images(multistage, {}) == ["kitbase/node:18-slim", "kitbase/node:18-runtime"]
    assert release_base(multistage, {}) == "kitbase/node:18-runtime"
    assert release_base(full, {"NODE_FULL": "node:18"}) == "node:18"


def engine_said(status: int, explanation: str) -> docker.errors.APIError:
    """An error the engine returns for /distribution (as the SDK raises it)."""
    response = requests.Response()
    response.status_code = status
    return docker.errors.APIError(f"{status} error", response=response, explanation=explanation)


# -- resolve ------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile", ["local", "hub"])
def test_resolve_explicit_profiles_ask_nothing(fake_engine: Engine, profile: str) -> None:
    assert resolve(profile, fake_engine) == profile
    assert fake_engine.api.calls == []


def test_resolve_unknown_profile(fake_engine: Engine) -> None:
    with pytest.raises(ExperimentConfigError) as info:
        resolve("cloud", fake_engine)
    assert info.value.message == "unknown profile 'cloud': choose one of auto, local, hub"


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (None, "hub"),
        (requests.exceptions.ConnectionError("no route to registry-1.docker.io"), "local"),
        (requests.exceptions.ReadTimeout("read timed out"), "local"),
        # dockerd 20.10 offline: its own dial fails, and it answers 500.
        (engine_said(500, 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup'), "local"),
        # Through a registry mirror that answers but holds no busybox: the Hub is reached.
        (engine_said(404, "manifest unknown: manifest unknown"), "hub"),
        (engine_said(401, "pull access denied"), "hub"),
    ],
)
def test_resolve_auto_probes_the_hub_once_per_engine(
    fake_engine: Engine,
    fake_api: FakeAPIClient,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception | None,
    expected: str,
) -> None:
    monkeypatch.setattr(profiles, "_hub_cache", {})
    if failure is not None:
        fake_api.fail["inspect_distribution"] = failure
    assert resolve("auto", fake_engine) == expected
    assert resolve("auto", fake_engine) == expected
    # One probe, with the short timeout, and the client's own timeout restored afterwards.
    assert fake_api.called("inspect_distribution") == [
        (("library/busybox:latest",), {"timeout": 4.0})
    ]
    assert fake_api.timeout == 120
    assert list(profiles._hub_cache.values()) == [expected == "hub"]


def test_resolve_auto_asks_again_when_another_engine_took_the_address(
    fake_engine: Engine, fake_api: FakeAPIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An extra dockerd stopped, and a new one (a mirror in front of it) listens on its socket."""
    monkeypatch.setattr(profiles, "_hub_cache", {})
    fake_api.fail["inspect_distribution"] = requests.exceptions.ConnectionError("offline")
    assert resolve("auto", fake_engine) == "local"
    del fake_api.fail["inspect_distribution"]
    recorded = fake_api.info()
    monkeypatch.setattr(fake_api, "info", lambda: {**recorded, "ID": "ANOTHER:DAEMON"})
    later = Engine(FakeDockerClient(fake_api))  # type: ignore[arg-type]
    assert resolve("auto", later) == "hub"
    assert len(fake_api.called("inspect_distribution")) == 2
