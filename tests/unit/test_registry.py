"""kit.host.registry without a registry process: names, ports, config, manifests, storage."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from fake_api import load

from kit.errors import EngineError, RegistryError
from kit.host import registry as reg
from kit.host.manifest import Blob, Index, Manifest
from kit.host.registry import Registry, config_text, pick_port, port_free, slug

# Recorded in fixtures/dist_*.json (update when record_distribution_fixtures.py runs again).
APP_LAYER = 121


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("slim", "slim"),
        ("node-server/Copy_First", "node-server/copy_first"),
        ("kitexp/node-server:slim-local", "kitexp/node-server-slim-local"),
        ("..weird..//name!!", "weird/name"),
        ("", "image"),
        ("a--_.b", "a-b"),
    ],
)
def test_slug_is_a_valid_repository_name(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_pick_port_keeps_a_free_preference_and_avoids_a_held_one() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        busy = held.getsockname()[1]
        assert not port_free(busy)
        other = pick_port(busy)
        assert other != busy and port_free(other)
    assert pick_port(busy) == busy  # released: the preference wins again
    assert port_free(pick_port(None))


def test_config_listens_on_loopback_with_its_own_storage(tmp_path: Path) -> None:
    doc = json.loads(config_text(tmp_path / "store", 5123))  # JSON is YAML for the registry
    assert doc["http"]["addr"] == "127.0.0.1:5123"
    assert doc["storage"]["filesystem"]["rootdirectory"] == str(tmp_path / "store")
    assert doc["storage"]["delete"]["enabled"] is True


def test_missing_binary_that_cannot_be_installed_says_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*packages: str) -> None:
        raise EngineError(f"cannot install {' '.join(packages)}: needs root on Debian/Ubuntu")

    monkeypatch.setattr(reg, "REGISTRY_BINARY", tmp_path / "no-such-registry")
    monkeypatch.setattr(reg, "apt_install", refuse)
    with pytest.raises(RegistryError) as raised, reg.local_registry():
        pytest.fail("a registry started without its binary")
    assert "no-such-registry is missing" in raised.value.message
    assert "needs root" in raised.value.message
    assert raised.value.hint is not None and "apt-get install docker-registry" in raised.value.hint


def test_install_that_does_not_provide_the_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, ...]] = []
    monkeypatch.setattr(reg, "REGISTRY_BINARY", tmp_path / "still-missing")
    monkeypatch.setattr(reg, "apt_install", lambda *p: asked.append(p))
    with pytest.raises(RegistryError, match="still missing"):
        reg.find_binary()
    assert asked == [("docker-registry",)]


def test_manifest_sizes_from_a_recorded_push() -> None:
    manifest = Manifest.parse(load("dist_manifest_app"), "sha256:abc")
    assert manifest.config.size == 2390
    assert [layer.size for layer in manifest.layers] == [1064347, 3427, APP_LAYER]
    assert manifest.total_bytes == 2390 + 1064347 + 3427 + APP_LAYER
    assert manifest.digest == "sha256:abc"


def test_an_index_is_not_parsed_as_one_image() -> None:
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json"}
    with pytest.raises(RegistryError, match=r"an index .* not one image's manifest"):
        Manifest.parse(index)


# The shape BuildKit pushes from the containerd image store: the image for the platform and an
# attestation manifest (platform unknown/unknown, annotated with what it refers to).
BUILDKIT_INDEX = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + "a" * 64,
            "size": 1043,
            "platform": {"architecture": "amd64", "os": "linux"},
        },
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + "b" * 64,
            "size": 566,
            "annotations": {
                "vnd.docker.reference.digest": "sha256:" + "a" * 64,
                "vnd.docker.reference.type": "attestation-manifest",
            },
            "platform": {"architecture": "unknown", "os": "unknown"},
        },
    ],
}


def test_an_index_is_followed_to_its_one_image_past_the_attestation() -> None:
    index = Index.parse(BUILDKIT_INDEX, "sha256:" + "c" * 64)
    chosen = index.image_for("linux/amd64")
    assert chosen.digest == "sha256:" + "a" * 64 and chosen.size == 1043
    assert [e.digest for e in index.attestations] == ["sha256:" + "b" * 64]
    # One image only: it is the one, whatever the platform asked.
    assert index.image_for("linux/arm64").digest == chosen.digest


def test_an_index_of_several_platforms_needs_the_right_one() -> None:
    arm = {**BUILDKIT_INDEX["manifests"][0], "digest": "sha256:" + "d" * 64}  # type: ignore[dict-item]
    arm["platform"] = {"architecture": "arm64", "os": "linux", "variant": "v8"}
    doc = {**BUILDKIT_INDEX, "manifests": [*BUILDKIT_INDEX["manifests"], arm]}  # type: ignore[misc]
    index = Index.parse(doc)
    assert index.image_for("linux/arm64").digest == "sha256:" + "d" * 64
    assert index.image_for("linux/amd64").digest == "sha256:" + "a" * 64
    with pytest.raises(RegistryError, match="no image manifest"):
        index.image_for("linux/s390x")


def test_the_same_image_on_either_store() -> None:
    config, image, index = ("sha256:" + c * 64 for c in "fac")
    manifest = Manifest(
        image, Blob(config, 10), (Blob("sha256:" + "e" * 64, 5),), index, (), ("sha256:1",)
    )
    assert manifest.tag_digest == index
    assert manifest.same_image(config, ["sha256:1"])  # the classic store: the config digest
    assert manifest.same_image(index, ["sha256:1"])  # the containerd store: the index digest
    assert manifest.same_image(image, ["sha256:1"])  # ... or the image manifest's
    assert not manifest.same_image(config, ["sha256:2"])  # same id, other layers
    assert not manifest.same_image("sha256:" + "9" * 64, ["sha256:1"])


def test_external_registry_cannot_be_emptied_and_hides_its_storage() -> None:
    external = Registry.external("http://127.0.0.1:5999/")
    assert external.host == "127.0.0.1:5999" and external.url == "http://127.0.0.1:5999"
    assert not external.owned and external.running() and external.blob_digests() is None
    with pytest.raises(RegistryError, match="cannot empty"):
        external.empty()
    with pytest.raises(RegistryError):
        Registry.external("http://")


def test_blob_digests_counts_only_complete_blobs(tmp_path: Path) -> None:
    own = Registry("127.0.0.1:1", workdir=tmp_path, port=1)
    assert own.blob_digests() == frozenset()
    root = tmp_path / "storage/docker/registry/v2/blobs/sha256"
    done, partial = "ab" + "1" * 62, "cd" + "2" * 62
    (root / "ab" / done).mkdir(parents=True)
    (root / "ab" / done / "data").write_bytes(b"x")
    (root / "cd" / partial).mkdir(parents=True)
    assert own.blob_digests() == frozenset({f"sha256:{done}"})
    assert not own.running()


def test_blob_is_a_value() -> None:
    assert Blob("sha256:a", 1) == Blob("sha256:a", 1)


def _storage_with(root: Path, repo: str, blobs: dict[str, bytes]) -> None:
    """A registry storage tree as docker-registry lays it out: blobs by digest, links per repo."""
    for digest, body in blobs.items():
        blob = root / "docker/registry/v2/blobs/sha256" / digest[:2] / digest / "data"
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(body)
        link = root / f"docker/registry/v2/repositories/{repo}/_layers/sha256/{digest}/link"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.write_text(f"sha256:{digest}")


def test_kept_storage_merges_images_and_survives_emptying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = Registry("127.0.0.1:1", workdir=tmp_path / "reg", port=1)
    storage = registry.storage
    assert storage is not None
    started: list[Path] = []
    monkeypatch.setattr(Registry, "stop", lambda self: None)
    monkeypatch.setattr(Registry, "start", lambda self, binary: started.append(storage))
    monkeypatch.setattr(reg, "find_binary", lambda: Path("/bin/true"))
    # Two images' pushes, each into an emptied registry, each kept after its trials.
    _storage_with(storage, "slim", {"aa" * 32: b"base", "bb" * 32: b"slim layer"})
    registry.keep()
    registry.empty()
    assert not storage.exists() or not any(storage.rglob("data"))
    _storage_with(storage, "full", {"aa" * 32: b"base", "cc" * 32: b"full layer"})
    registry.keep()
    registry.restore_kept()
    served = {p.parent.name: p.read_bytes() for p in storage.rglob("data")}
    assert served == {"aa" * 32: b"base", "bb" * 32: b"slim layer", "cc" * 32: b"full layer"}
    links = sorted(str(p.relative_to(storage)) for p in storage.rglob("link"))
    assert (
        len(links) == 4 and any("/slim/" in x for x in links) and any("/full/" in x for x in links)
    )
    # Blobs are shared with the kept tree, link files (rewritten in place by the registry) not.
    kept = tmp_path / "reg" / "kept"
    blob = next(storage.rglob("data"))
    assert blob.stat().st_ino == (kept / blob.relative_to(storage)).stat().st_ino
    link = next(storage.rglob("link"))
    assert link.stat().st_ino != (kept / link.relative_to(storage)).stat().st_ino
    assert started  # the registry was started again on the restored tree


def test_nothing_kept_restores_an_empty_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = Registry("127.0.0.1:1", workdir=tmp_path / "reg", port=1)
    monkeypatch.setattr(Registry, "stop", lambda self: None)
    monkeypatch.setattr(Registry, "start", lambda self, binary: None)
    monkeypatch.setattr(reg, "find_binary", lambda: Path("/bin/true"))
    assert registry.storage is not None
    _storage_with(registry.storage, "slim", {"aa" * 32: b"x"})
    registry.restore_kept()
    assert not list(registry.storage.rglob("data"))


def test_a_state_kept_by_name_is_restored_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm trial starts from its sibling's own pushed state: restoring it by name serves
    that image's blobs and nothing another image pushed later (those stay in the union)."""
    registry = Registry("127.0.0.1:1", workdir=tmp_path / "reg", port=1)
    storage = registry.storage
    assert storage is not None
    monkeypatch.setattr(Registry, "stop", lambda self: None)
    monkeypatch.setattr(Registry, "start", lambda self, binary: None)
    monkeypatch.setattr(reg, "find_binary", lambda: Path("/bin/true"))
    assert not registry.has_kept("slim")
    _storage_with(storage, "slim", {"aa" * 32: b"base", "bb" * 32: b"slim layer"})
    registry.keep("slim")
    registry.empty()
    _storage_with(storage, "full", {"aa" * 32: b"base", "cc" * 32: b"full layer"})
    registry.keep("full")
    assert registry.has_kept("slim") and registry.has_kept("full")
    registry.restore_kept("slim")
    served = {p.parent.name: p.read_bytes() for p in storage.rglob("data")}
    assert served == {"aa" * 32: b"base", "bb" * 32: b"slim layer"}
    assert all("/full/" not in str(p) for p in storage.rglob("link"))
    registry.restore_kept()
    assert {p.parent.name for p in storage.rglob("data")} == {"aa" * 32, "bb" * 32, "cc" * 32}
    # Kept again under the same name: the new state replaces the old one.
    registry.empty()
    _storage_with(storage, "slim", {"dd" * 32: b"slim rebuilt"})
    registry.keep("slim")
    registry.restore_kept("slim")
    assert {p.parent.name for p in storage.rglob("data")} == {"dd" * 32}
