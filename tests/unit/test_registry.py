"""kit.host.registry without a registry process: names, ports, config, manifests, storage."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from fake_api import load

from kit.errors import EngineError, RegistryError
from kit.host import registry as reg
from kit.host.manifest import Blob, Manifest
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


def test_manifest_list_is_refused() -> None:
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json"}
    with pytest.raises(RegistryError, match="not a single-image v2 manifest"):
        Manifest.parse(index)


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
