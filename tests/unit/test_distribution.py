"""kit.measure.transfer.push_pull and the engine's push/pull over recorded registry JSON: byte
accounting, event parsing, error translation, sibling choice, failure rows."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import docker.errors
import pytest
import requests.exceptions
from fake_api import FakeAPIClient, FakeDockerClient, api_error, broken_stream, load

from kit.engine import Engine, TransferLog
from kit.engine.transfers import PULL_SKIPPED, PUSH_SKIPPED
from kit.errors import EngineGoneError, RegistryError
from kit.host.manifest import Manifest
from kit.host.registry import Registry
from kit.measure.transfer import pull, trials
from kit.measure.transfer import push_pull as dist

# Recorded in fixtures/dist_*.json (update when record_distribution_fixtures.py runs again).
CONFIG = 2390
APP_LAYER = 121
BUSYBOX_BLOBS = frozenset(b["digest"] for b in load("dist_manifest_busybox")["layers"]) | {
    load("dist_manifest_busybox")["config"]["digest"]
}
APP_CHAIN = load("dist_df")["chains"]["kitexp/unit-dist:app"]


class RegistryFakeAPI(FakeAPIClient):
    """The recorded fake plus tag/push/pull/df answered from ``dist_*.json``."""

    def __init__(self) -> None:
        super().__init__()
        self.events: dict[str, list[Any]] = {
            "push": load("dist_push_app"),
            "pull": load("dist_pull_app"),
        }
        self.tagged: list[tuple[str, str, str]] = []

    def tag(self, image: str, repository: str, tag: str, force: bool = False) -> bool:
        self._record("tag", image, repository, tag, force=force)
        return True

    def _stream(self, what: str, repository: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self._record(what, repository, **kwargs)
        events = self.events[what]
        if isinstance(events, Iterator):
            return events
        return iter(copy.deepcopy(events))

    def push(self, repository: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return self._stream("push", repository, **kwargs)

    def pull(self, repository: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return self._stream("pull", repository, **kwargs)

    def df(self) -> dict[str, Any]:
        self._record("df")
        return {"Images": load("dist_df")["images"], "LayersSize": 1}


@pytest.fixture()
def api() -> RegistryFakeAPI:
    return RegistryFakeAPI()


@pytest.fixture()
def engine(api: RegistryFakeAPI) -> Engine:
    return Engine(FakeDockerClient(api))  # type: ignore[arg-type]


def manifest() -> Manifest:
    return Manifest.parse(load("dist_manifest_app"))


# -- byte accounting ----------------------------------------------------------------------------
def test_push_bytes_from_storage_skip_what_the_registry_held() -> None:
    assert dist.pushed_bytes_from_storage(manifest(), frozenset()) == manifest().total_bytes
    # The sibling (busybox) was pushed first: only the app's layer and config move.
    assert dist.pushed_bytes_from_storage(manifest(), BUSYBOX_BLOBS) == CONFIG + APP_LAYER


def test_push_bytes_from_events_agree_with_storage(engine: Engine) -> None:
    log = engine.transfers.push("127.0.0.1:5000/app", "kit")
    assert log.statuses["23ffe944e994"] == "Mounted from busybox"
    assert dist.pushed_bytes_from_events(manifest(), APP_CHAIN, log) == CONFIG + APP_LAYER
    with pytest.raises(RegistryError, match="3 layers, the image 2"):
        dist.pushed_bytes_from_events(manifest(), APP_CHAIN[:2], log)


def test_pull_bytes_count_only_downloaded_layers(engine: Engine) -> None:
    log = engine.transfers.pull("127.0.0.1:5000/app", "kit")
    assert log.digest is not None and log.digest.startswith("sha256:")
    assert pull.pulled_bytes(manifest(), log, had_config=False) == CONFIG + APP_LAYER
    assert pull.pulled_bytes(manifest(), log, had_config=True) == APP_LAYER
    nothing = TransferLog({}, None)
    assert pull.pulled_bytes(manifest(), nothing, had_config=True) == 0


def test_transfer_log_status_semantics() -> None:
    log = TransferLog({"a": "Pushed", "b": "Layer already exists", "c": "Mounted from x"}, None)
    assert log.moved("a", PUSH_SKIPPED)
    assert not log.moved("b", PUSH_SKIPPED) and not log.moved("c", PUSH_SKIPPED)
    assert not log.moved("missing", PUSH_SKIPPED)
    assert not TransferLog({"d": "Already exists"}, None).moved("d", PULL_SKIPPED)


# -- engine methods: events and error translation -----------------------------------------------
def test_push_digest_and_hook(engine: Engine, api: RegistryFakeAPI) -> None:
    seen: list[Mapping[str, Any]] = []
    log = engine.transfers.push("127.0.0.1:5000/app", "kit", on_event=seen.append)
    assert len(seen) == len(api.events["push"])
    assert log.digest == api.events["push"][-1]["aux"]["Digest"]
    assert api.called("push")[0][1] == {"tag": "kit", "stream": True, "decode": True}


def test_error_event_is_a_registry_error(engine: Engine, api: RegistryFakeAPI) -> None:
    api.events["push"] = [
        {"status": "Pushing", "id": "c0845f1a7897"},
        {"errorDetail": {"message": "connection refused"}, "error": "connection refused"},
    ]
    with pytest.raises(
        RegistryError, match=r"push of 127\.0\.0\.1:5000/app:kit failed: connection"
    ):
        engine.transfers.push("127.0.0.1:5000/app", "kit")


def test_refused_and_vanished_engine(engine: Engine, api: RegistryFakeAPI) -> None:
    api.fail["pull"] = api_error(500, "Get http://127.0.0.1:5000/v2/: connection refused")
    with pytest.raises(RegistryError, match="refused"):
        engine.transfers.pull("127.0.0.1:5000/app", "kit")
    api.events["push"] = broken_stream(  # type: ignore[assignment]
        [{"status": "Preparing", "id": "x"}], requests.exceptions.ConnectionError("gone")
    )
    with pytest.raises(EngineGoneError):
        engine.transfers.push("127.0.0.1:5000/app", "kit")


def test_a_raising_hook_abandons_the_push(engine: Engine) -> None:
    def stop(_: Mapping[str, Any]) -> None:
        raise RegistryError("registry died")

    with pytest.raises(RegistryError, match="registry died"):
        engine.transfers.push("127.0.0.1:5000/app", "kit", on_event=stop)


def test_tag_untag_and_disk_usage(engine: Engine, api: RegistryFakeAPI) -> None:
    engine.images.tag("kitbase/busybox:1", "127.0.0.1:5000/busybox", "kit")
    assert api.called("tag")[0] == (
        ("kitbase/busybox:1", "127.0.0.1:5000/busybox", "kit"),
        {"force": True},
    )
    assert engine.images.untag("kitbase/busybox:1") is True
    assert engine.images.untag("kitbase/busybox:1") is False  # already gone
    assert len(engine.images.disk_usage().images) == 2
    api.fail["tag"] = api_error(404, "No such image", docker.errors.ImageNotFound)
    with pytest.raises(Exception, match="cannot tag"):
        engine.images.tag("nope", "127.0.0.1:5000/nope", "kit")


# -- trials -------------------------------------------------------------------------------------
def test_sibling_is_the_image_sharing_most_layers() -> None:
    chains = {"full": ("a", "f"), "slim": ("b", "s", "x"), "multi": ("b", "s", "y"), "solo": ("z",)}
    assert dist.pick_siblings(chains) == {
        "full": None,
        "slim": "multi",
        "multi": "slim",
        "solo": None,
    }


def test_rows_for_skipped_and_failed() -> None:
    row = trials.skipped_sample("slim", "build failed: npm")
    assert (row.status, row.error, row.mode, row.push_s) == (
        "skipped",
        "build failed: npm",
        "cold",
        None,
    )
    assert trials.failed_sample("slim", 2, "warm", "boom").trial == 2


def test_missing_and_failing_images_do_not_stop_the_others(
    engine: Engine, api: RegistryFakeAPI
) -> None:
    # An external registry whose manifest endpoint is unreachable: every trial fails cleanly,
    # one failed row per image, the missing image gets its own row, and tags come back.
    registry = Registry.external("http://127.0.0.1:9")
    samples = dist.measure_distribution(
        engine,
        [
            ("busybox", "kitbase/busybox:1"),
            ("gone", "kitexp/none:x"),
            ("multi", "kitexp/node-server:multistage-local"),
        ],
        trials=2,
        registry=registry,
    )
    by_variant = {(s.variant, s.mode): s for s in samples}
    assert by_variant[("gone", "cold")].error == "image kitexp/none:x is not on the engine"
    for variant in ("busybox", "multi"):
        row = by_variant[(variant, "cold")]
        assert row.status == "failed" and "does not answer" in (row.error or "")
        assert row.push_s is None and row.pushed_bytes is None  # no partial success
    # busybox and multistage share no layer, so warm is skipped; the first failure ends trials.
    assert [s.status for s in samples if s.variant == "busybox"] == ["skipped", "failed"]
    assert by_variant[("multi", "warm")].status == "skipped"
    # Nothing was removed: the failure came before the pull, and the registry tags are gone.
    assert api.removed == []
