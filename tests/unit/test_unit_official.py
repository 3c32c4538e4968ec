"""kit.host.official and kit.host.tags without an engine: which official names get tagged, which
are left alone, and how the kit's own tags follow a rebuilt base and go with ``clean --bases``.

The fake engine below holds a name → image id table, the one thing these functions read and
write; registries are answered by a table too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kit.host import official, tags
from kit.host.bases import BASES
from kit.host.hub import hub_names, mirror_path
from kit.host.official import mapping, registry_of, tag_official
from kit.host.tags import follow, recorded, untag_official

NODE_SLIM = "kitbase/node:18-slim"


@dataclass(frozen=True)
class Info:
    daemon_id: str = "DAEMON-1"
    host: str = "unix://fake"
    root_dir: str = "/var/lib/docker"


@dataclass(frozen=True)
class Image:
    id: str


class FakeImages:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.removed: list[str] = []

    def inspect(self, ref: str) -> Image | None:
        if ref in self.names:
            return Image(self.names[ref])
        return Image(ref) if ref in self.names.values() else None

    def tag(self, image: str, repository: str, tag: str) -> None:
        self.names[f"{repository}:{tag}"] = image

    def untag(self, ref: str) -> bool:
        return self.names.pop(ref, None) is not None

    def remove(self, ref: str, *, force: bool = False) -> bool:
        if ref in self.names.values():
            return False  # still tagged: in use
        self.removed.append(ref)
        return True


class FakeTransfers:
    def __init__(self) -> None:
        self.hub = False
        self.answers: dict[str, str] = {}
        self.asked: list[str] = []

    def hub_answers(self) -> bool:
        self.asked.append("hub")
        return self.hub

    def registry_answer(self, ref: str) -> str:
        self.asked.append(ref)
        return self.answers.get(ref, "unreachable")


class FakeEngine:
    def __init__(self, daemon_id: str = "DAEMON-1", root_dir: str = "/var/lib/docker") -> None:
        self.images = FakeImages()
        self.transfers = FakeTransfers()
        self._info = Info(daemon_id, root_dir=root_dir)
        for i, spec in enumerate(BASES):
            self.images.names[spec.ref] = f"sha256:base{i}"

    def info(self) -> Info:
        return self._info


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    yield tmp_path / "state"


def never(name: str) -> bool:
    return False


def outcome(results: list[official.OfficialTag], name: str) -> official.OfficialTag:
    [found] = [r for r in results if r.name == name]
    return found


def test_registry_of() -> None:
    assert registry_of("node:18-slim") == "docker.io"
    assert registry_of("library/node:18") == "docker.io"
    assert registry_of("someone/app:1") == "docker.io"
    assert registry_of("gcr.io/distroless/nodejs18-debian12:nonroot") == "gcr.io"
    assert registry_of("127.0.0.1:5000/library/node:18") == "127.0.0.1:5000"
    assert registry_of("localhost/x:1") == "localhost"


def test_offline_every_name_is_tagged_onto_its_base(state: Path) -> None:
    engine = FakeEngine()
    results = tag_official(engine, served=never)  # type: ignore[arg-type]
    assert {r.action for r in results} == {"tagged"}
    assert len(results) == len(mapping())
    for name, spec in mapping():
        assert engine.images.names[name] == engine.images.names[spec.ref]
    assert recorded(engine) == {name: engine.images.names[name] for name, _ in mapping()}  # type: ignore[arg-type]
    assert (state / tags.RECORD).exists()
    # A second run changes nothing.
    again = tag_official(engine, served=never)  # type: ignore[arg-type]
    assert {r.action for r in again} == {"present"}


def test_another_image_of_that_name_is_kept_unless_forced() -> None:
    engine = FakeEngine()
    engine.images.names["node:18-slim"] = "sha256:users-own"
    results = tag_official(engine, served=never)  # type: ignore[arg-type]
    kept = outcome(results, "node:18-slim")
    assert kept.action == "kept" and "another image" in kept.detail
    assert engine.images.names["node:18-slim"] == "sha256:users-own"
    assert "node:18-slim" not in recorded(engine)  # type: ignore[arg-type]
    forced = outcome(tag_official(engine, force=True, served=never), "node:18-slim")  # type: ignore[arg-type]
    assert forced.action == "forced"
    assert engine.images.names["node:18-slim"] == engine.images.names[NODE_SLIM]
    assert engine.images.removed == []  # the user's image is untagged, never deleted


def test_names_a_registry_serves_are_left_to_it() -> None:
    engine = FakeEngine()
    engine.transfers.hub = True
    engine.transfers.answers["node:18"] = "found"
    engine.transfers.answers["node:18-slim"] = "unknown"  # e.g. a mirror that lacks it
    results = tag_official(engine)  # type: ignore[arg-type]
    assert outcome(results, "node:18").action == "served"
    assert "node:18" not in engine.images.names
    assert outcome(results, "node:18-slim").action == "tagged"
    # gcr.io does not answer at all: probed once, then none of its names is asked about again.
    gcr = [a for a in engine.transfers.asked if a.startswith("gcr.io/")]
    assert len(gcr) == 1
    assert engine.transfers.asked.count("hub") == 1


def test_offline_hub_is_probed_once_not_per_name() -> None:
    engine = FakeEngine()
    tag_official(engine)  # type: ignore[arg-type]
    hub_names_asked = [a for a in engine.transfers.asked if not a.startswith("gcr.io/")]
    assert hub_names_asked == ["hub"]


def test_a_missing_base_is_reported_not_tagged() -> None:
    engine = FakeEngine()
    del engine.images.names[NODE_SLIM]
    results = tag_official(engine, served=never)  # type: ignore[arg-type]
    missing = outcome(results, "node:18-slim")
    assert missing.action == "no-base" and "kit bases" in missing.detail
    assert "node:18-slim" not in engine.images.names


def test_the_kits_tag_on_an_earlier_build_is_moved() -> None:
    engine = FakeEngine()
    tag_official(engine, served=never)  # type: ignore[arg-type]
    old = engine.images.names[NODE_SLIM]
    engine.images.names[NODE_SLIM] = "sha256:rebuilt"  # kit bases made a new one
    results = tag_official(engine, served=never)  # type: ignore[arg-type]
    assert outcome(results, "node:18-slim").action == "moved"
    assert engine.images.names["node:18-slim"] == "sha256:rebuilt"
    assert old in engine.images.removed  # nothing holds the old build any more


def test_follow_moves_only_the_kits_names_of_that_image() -> None:
    engine = FakeEngine()
    tag_official(engine, served=never)  # type: ignore[arg-type]
    old = engine.images.names[NODE_SLIM]
    engine.images.names["node:18-bookworm-slim"] = "sha256:users-own"  # retagged by the user
    engine.images.names[NODE_SLIM] = "sha256:rebuilt"
    moved = follow(engine, old, "sha256:rebuilt")  # type: ignore[arg-type]
    assert moved == ["node:18-slim"]
    assert engine.images.names["node:18-slim"] == "sha256:rebuilt"
    assert engine.images.names["node:18-bookworm-slim"] == "sha256:users-own"
    assert recorded(engine)["node:18-slim"] == "sha256:rebuilt"  # type: ignore[arg-type]


def test_untag_removes_the_kits_names_and_no_others() -> None:
    engine = FakeEngine()
    tag_official(engine, served=never)  # type: ignore[arg-type]
    engine.images.names["busybox:latest"] = "sha256:users-own"
    removed = untag_official(engine)  # type: ignore[arg-type]
    assert "busybox:latest" not in removed and "node:18" in removed
    assert engine.images.names["busybox:latest"] == "sha256:users-own"
    assert all(name not in engine.images.names for name in removed)
    assert recorded(engine) == {}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "other",
    [
        FakeEngine("DAEMON-2"),
        # dockerd 20.10 side by side: one id (from /etc/docker/key.json), two data roots
        FakeEngine("DAEMON-1", root_dir="/var/lib/kit-engines/other/data"),
    ],
)
def test_records_are_per_engine(other: FakeEngine) -> None:
    one = FakeEngine("DAEMON-1")
    tag_official(one, served=never)  # type: ignore[arg-type]
    assert recorded(other) == {}  # type: ignore[arg-type]
    assert untag_official(other) == []  # type: ignore[arg-type]
    assert recorded(one)  # type: ignore[arg-type]


def test_status_says_what_each_name_holds() -> None:
    engine = FakeEngine()
    engine.images.names["debian:12"] = "sha256:users-own"
    engine.images.names["node:18"] = engine.images.names["kitbase/node:18-full"]  # by hand
    states = official.status(engine)  # type: ignore[arg-type]
    assert states["debian:12"].startswith("another image")
    assert states["node:18"] == "the base (not by the kit)"
    assert states["python:3.11"] == "-"
    tag_official(engine, served=never)  # type: ignore[arg-type]
    assert official.status(engine)["python:3.11"] == "the base"  # type: ignore[arg-type]


def test_hub_names_and_their_mirror_paths() -> None:
    names = [n for n, _ in hub_names()]
    assert "node:18-slim" in names and "busybox:latest" in names
    assert not [n for n in names if n.startswith("gcr.io/")]
    only = [n for n, _ in hub_names(["node:18-slim"])]
    assert only == ["busybox:latest", "node:18-slim"]  # the Hub probe is always served
    assert mirror_path("node:18-slim") == ("library/node", "18-slim")
    assert mirror_path("busybox") == ("library/busybox", "latest")
    assert mirror_path("someone/app:1") == ("someone/app", "1")


def test_hub_names_unknown() -> None:
    from kit.errors import UsageError

    with pytest.raises(UsageError, match="no embedded base stands in for node:20"):
        hub_names(["node:20"])
