"""kit.engine.Engine over the recorded-JSON fake: parsing, builds, cleanup, error translation."""

from __future__ import annotations

from typing import Any

import docker.errors
import pytest
import requests.exceptions
from fake_api import (
    BASE_URL,
    BUSYBOX,
    MULTISTAGE,
    UNIT_OK,
    FakeAPIClient,
    FakeDockerClient,
    api_error,
    broken_stream,
    load,
)

from kit.engine import MANAGED, BuildStream, Engine, EngineInfo, FailedStep
from kit.engine.labels import LOG_TAIL_LINES
from kit.engine.leftovers import OWNER_LABEL, owner
from kit.errors import EngineError, EngineGoneError

# Values recorded in fixtures/ (update them when record_fixtures.py is run again).
BUSYBOX_ID = "sha256:93d35cc5f8067103950c5b7256cf855377fcd2554e103d8527baff7f5b7c193d"
MULTISTAGE_ID = "sha256:29c2f3f0743d7d9e2d51cfe3a96e77281c78deb7a47956a53db48a98dd3b29e3"
UNIT_OK_ID = "sha256:b370aff91618478c13408ae50765c3daafb016d7b5d0fae5cd9bb4ab8c06bc80"
FAILED_MESSAGE = "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3"


def build(engine: Engine, **overrides: Any) -> BuildStream:
    kwargs: dict[str, Any] = {
        "tag": "kitexp/tiny:ok-local",
        "buildargs": {"BASE": BUSYBOX},
        "labels": {"kit.app": "tiny"},
        "nocache": True,
    }
    kwargs.update(overrides)
    return engine.builds.build("/ctx", "Dockerfile.ok", **kwargs)


# -- info ---------------------------------------------------------------------------------------
def test_info_parsed_from_recorded_engine(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    assert fake_engine.info() == EngineInfo(
        version="20.10.24+dfsg1",
        api_version="1.41",
        storage_driver="overlay2",
        containerd_store=False,
        host=BASE_URL,
        daemon_id="UNIT:FIXT:URE0:0000:0000:0000:0000:0000:0000:0000:0000:0000",
        root_dir="/var/lib/docker",
        name="fixture-host",
    )
    fake_engine.info()
    assert [name for name, _, _ in fake_api.calls] == ["version", "info"]  # cached


@pytest.mark.parametrize(
    ("driver", "driver_status", "expected"),
    [
        ("io.containerd.snapshotter.v1", [], True),
        ("overlayfs", [["driver-type", "io.containerd.snapshotter.v1"]], True),
        ("overlay2", [["Backing Filesystem", "extfs"]], False),
        ("overlay2", None, False),
    ],
)
def test_containerd_store_detection(
    fake_api: FakeAPIClient, driver: str, driver_status: Any, expected: bool
) -> None:
    recorded = load("info")

    def info() -> dict[str, Any]:
        return {**recorded, "Driver": driver, "DriverStatus": driver_status}

    fake_api.info = info  # type: ignore[method-assign]
    parsed = Engine(FakeDockerClient(fake_api)).info()  # type: ignore[arg-type]
    assert parsed.containerd_store is expected
    assert parsed.storage_driver == driver


def test_close_closes_the_client(fake_api: FakeAPIClient) -> None:
    client = FakeDockerClient(fake_api)
    Engine(client).close()  # type: ignore[arg-type]
    assert client.closed


# -- build --------------------------------------------------------------------------------------
def test_build_success_returns_aux_image_id(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    fake_api.builds = [load("build_ok")]
    lines: list[str] = []
    outcome = build(fake_engine, on_line=lines.append)

    assert outcome.image_id == UNIT_OK_ID
    assert outcome.error is None
    assert len(outcome.log_tail) == 20
    assert outcome.log_tail[0] == "Step 1/5 : FROM kitbase/busybox:1"
    assert outcome.log_tail[1] == " ---> 93d35cc5f806"
    assert outcome.log_tail[-2:] == (
        "Successfully built b370aff91618",
        "Successfully tagged kitexp/unit-fixture:ok",
    )
    assert "" not in outcome.log_tail
    assert tuple(lines) == outcome.log_tail


def test_build_passes_classic_builder_options(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    build(fake_engine, nocache=False, network_mode="none")
    [(args, kwargs)] = fake_api.called("build")
    assert args == ()
    assert kwargs == {
        "path": "/ctx",
        "dockerfile": "Dockerfile.ok",
        "tag": "kitexp/tiny:ok-local",
        "buildargs": {"BASE": BUSYBOX},
        "labels": {MANAGED: "1", "kit.app": "tiny"},
        "nocache": False,
        "rm": True,
        "forcerm": True,
        "pull": False,
        "network_mode": "none",
        "target": None,
        "decode": True,
    }


def test_build_failure_returns_error_and_log_tail(
    fake_engine: Engine, fake_api: FakeAPIClient
) -> None:
    fake_api.builds = [load("build_failed")]
    outcome = build(fake_engine)
    # The steps the log reported, FROM and the failing RUN (their times: when the lines came).
    assert [(s.number, s.instruction, s.cached) for s in outcome.steps] == [
        (1, "FROM kitbase/busybox:1", False),
        (2, "RUN echo about to fail && exit 3", False),
    ]
    # The step it stopped at, with what that step printed (not the builder's own markers).
    assert outcome.failed == FailedStep(outcome.steps[1], ("about to fail",))
    assert outcome == BuildStream(
        image_id=None,
        error=FAILED_MESSAGE,
        steps=outcome.steps,
        failed=outcome.failed,
        log_tail=(
            "Step 1/4 : FROM kitbase/busybox:1",
            " ---> 93d35cc5f806",
            "Step 2/4 : RUN echo about to fail && exit 3",
            " ---> Running in 0058ca62d136",
            "about to fail",
            "Removing intermediate container 0058ca62d136",
        ),
    )


def test_build_error_detail_without_error_key(fake_api: FakeAPIClient) -> None:
    events = [e for e in load("build_failed") if "error" not in e]
    events.append({"errorDetail": {"code": 3, "message": "only in the detail"}})
    fake_api.builds = [events]
    outcome = build(Engine(FakeDockerClient(fake_api)))  # type: ignore[arg-type]
    assert outcome.image_id is None
    assert outcome.error == "only in the detail"


def test_build_error_after_aux_id_discards_the_id(fake_api: FakeAPIClient) -> None:
    ok = load("build_ok")
    fake_api.builds = [[*ok, {"error": "tagging failed"}]]
    outcome = build(Engine(FakeDockerClient(fake_api)))  # type: ignore[arg-type]
    assert outcome.image_id is None
    assert outcome.error == "tagging failed"


def test_build_log_tail_is_bounded(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    fake_api.builds = [[{"stream": f"line {i}\n"} for i in range(60)]]
    outcome = build(fake_engine)
    assert LOG_TAIL_LINES == 25
    assert outcome.log_tail == tuple(f"line {i}" for i in range(35, 60))
    assert outcome.image_id is None
    assert outcome.error is None


def test_build_multi_line_stream_event(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    fake_api.builds = [[{"stream": "one\n\n  two  \nthree"}, {"aux": {"ID": "sha256:abc"}}]]
    outcome = build(fake_engine)
    assert outcome.log_tail == ("one", "  two", "three")
    assert outcome.image_id == "sha256:abc"


# -- images -------------------------------------------------------------------------------------
def test_image_and_history_from_fixtures(fake_engine: Engine) -> None:
    busybox = fake_engine.images.inspect(BUSYBOX)
    assert busybox is not None
    assert busybox.id == BUSYBOX_ID
    assert busybox.size == 1985472
    assert len(fake_engine.images.history(MULTISTAGE)) == 17
    assert fake_engine.images.inspect("kitbase/nothing:here") is None


def test_image_404_api_error_is_none_other_errors_raise(
    fake_engine: Engine, fake_api: FakeAPIClient
) -> None:
    fake_api.fail["inspect_image"] = api_error(404, "gone")
    assert fake_engine.images.inspect(BUSYBOX) is None
    fake_api.fail["inspect_image"] = api_error(500, "server error")
    with pytest.raises(docker.errors.APIError, match="server error") as info:
        fake_engine.images.inspect(BUSYBOX)
    assert info.value.status_code == 500


def test_image_ids(fake_engine: Engine) -> None:
    assert fake_engine.images.ids() == {BUSYBOX_ID, MULTISTAGE_ID, UNIT_OK_ID}


def test_remove_dangling_since_removes_new_untagged_newest_first(
    fake_engine: Engine, fake_api: FakeAPIClient
) -> None:
    before = fake_engine.images.ids() | {"sha256:old"}
    fake_api.listed += [
        {"Id": "sha256:old", "RepoTags": None, "Created": 50},
        {"Id": "sha256:aaa", "RepoTags": ["<none>:<none>"], "Created": 100},
        {"Id": "sha256:bbb", "RepoTags": None, "Created": 200},
        {"Id": "sha256:ccc", "RepoTags": [], "Created": 150},
        {"Id": "sha256:tagged", "RepoTags": ["kitexp/tiny:new"], "Created": 300},
    ]
    fake_api.in_use.add("sha256:ccc")

    assert fake_engine.images.remove_dangling_since(before) == 2
    assert [args[0] for args, _ in fake_api.called("remove_image")] == [
        "sha256:bbb",
        "sha256:ccc",
        "sha256:aaa",
    ]
    assert fake_api.removed == ["sha256:bbb", "sha256:aaa"]
    assert {row["Id"] for row in fake_api.listed} >= {"sha256:old", "sha256:tagged", BUSYBOX_ID}


def test_remove_dangling_since_nothing_new(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    assert fake_engine.images.remove_dangling_since(fake_engine.images.ids()) == 0
    assert fake_api.called("remove_image") == []


def test_remove_image_gone_or_in_use_is_false(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    assert fake_engine.images.remove("sha256:unknown") is False
    fake_api.in_use.add(MULTISTAGE)
    assert fake_engine.images.remove(MULTISTAGE, force=True) is False
    assert fake_engine.images.remove(UNIT_OK) is True
    assert fake_api.removed == [UNIT_OK]
    fake_api.fail["remove_image"] = api_error(500, "boom")
    with pytest.raises(docker.errors.APIError, match="boom"):
        fake_engine.images.remove(BUSYBOX)


def test_kit_images_selects_by_repository_prefix(
    fake_engine: Engine, fake_api: FakeAPIClient
) -> None:
    fake_api.listed += [
        {"Id": "sha256:user", "RepoTags": ["node:18", "mykitexp/app:1"], "Created": 1},
        {"Id": "sha256:none", "RepoTags": None, "Created": 2},
        {"Id": "sha256:mixed", "RepoTags": ["other:1", "kitexp/app:v"], "Created": 3},
        {"Id": "sha256:hub", "RepoTags": ["docker.io/kitbase/x:1"], "Created": 4},
    ]
    assert fake_engine.images.kit_images() == [
        BUSYBOX_ID,
        MULTISTAGE_ID,
        UNIT_OK_ID,
        "sha256:mixed",
    ]
    assert fake_engine.images.kit_images(("kitbase/",)) == [BUSYBOX_ID]
    assert fake_engine.images.kit_images(("kitexp/unit-fixture:",)) == [UNIT_OK_ID]


# -- containers ---------------------------------------------------------------------------------
def test_container_round_trip_with_recorded_exit_codes(
    fake_engine: Engine, fake_api: FakeAPIClient
) -> None:
    fake_api.next_exit_codes = [0, 1]
    labels = {"kit.run": "r1"}
    first = fake_engine.containers.create(
        BUSYBOX, labels=labels, environment={"A": "1"}, network_mode="none", command=["true"]
    )
    second = fake_engine.containers.create(
        BUSYBOX, labels=labels, environment={}, network_mode="none"
    )
    [(args, kwargs), _] = fake_api.called("create_container")
    assert args == (BUSYBOX,)
    assert kwargs == {
        "command": ["true"],
        "environment": {"A": "1"},
        "labels": {MANAGED: "1", OWNER_LABEL: owner(), "kit.run": "r1"},
        "host_config": {"NetworkMode": "none"},
        "ports": None,
    }
    fake_engine.containers.start(first)
    assert fake_engine.containers.wait(first, timeout=5) == 0
    assert fake_engine.containers.wait(second, timeout=5) == 1
    assert fake_engine.containers.inspect(second).exit_code == 1
    assert fake_engine.containers.kit_containers("r1") == [first, second]
    assert fake_engine.containers.kit_containers("r2") == []
    fake_engine.containers.remove(first)
    fake_engine.containers.remove(first)  # already gone: not an error
    assert fake_engine.containers.kit_containers() == [second]


def test_wait_read_timeout_becomes_timeout_error(
    fake_engine: Engine, fake_api: FakeAPIClient
) -> None:
    fake_api.fail["wait"] = requests.exceptions.ReadTimeout("read timed out")
    with pytest.raises(TimeoutError, match=r"container did not exit within 2\.5 s"):
        fake_engine.containers.wait("abc", timeout=2.5)


# -- a vanished engine --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "exc",
    [
        requests.exceptions.ConnectionError("Connection aborted"),
        ConnectionRefusedError(111, "Connection refused"),
        FileNotFoundError(2, "No such file or directory"),
    ],
)
def test_transport_error_becomes_engine_gone(
    fake_engine: Engine, fake_api: FakeAPIClient, exc: BaseException
) -> None:
    fake_api.fail["version"] = exc
    with pytest.raises(EngineGoneError) as info:
        fake_engine.info()
    assert info.value.message == "the Docker engine stopped answering during version"
    assert info.value.__cause__ is exc
    assert isinstance(info.value, EngineError)


def test_transport_error_in_images_call(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    fake_api.fail["images"] = requests.exceptions.ConnectionError("gone")
    with pytest.raises(EngineGoneError, match="during images"):
        fake_engine.images.kit_images()
    with pytest.raises(EngineGoneError, match="during images"):
        fake_engine.images.remove_dangling_since(set())


def test_engine_vanishing_mid_build_stream(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    cut = requests.exceptions.ConnectionError("Connection broken")
    fake_api.builds = [broken_stream(load("build_ok")[:5], cut)]
    lines: list[str] = []
    with pytest.raises(EngineGoneError) as info:
        build(fake_engine, on_line=lines.append)
    assert info.value.message == "the Docker engine stopped answering during build"
    assert info.value.__cause__ is cut
    assert lines == [
        "Step 1/5 : FROM kitbase/busybox:1",
        " ---> 93d35cc5f806",
        "Step 2/5 : RUN echo hello > /hello.txt",
    ]


def test_non_transport_errors_pass_through(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    fake_api.fail["history"] = api_error(500, "history broke")
    with pytest.raises(docker.errors.APIError, match="history broke") as info:
        fake_engine.images.history(BUSYBOX)
    assert not isinstance(info.value, EngineGoneError)


def test_build_leaves_no_response_hook_behind(fake_engine: Engine, fake_api: FakeAPIClient) -> None:
    build(fake_engine)
    fake_api.builds.append(broken_stream([], requests.exceptions.ConnectionError("gone")))
    with pytest.raises(EngineGoneError):
        build(fake_engine)
    assert fake_api.hooks["response"] == []
