"""An image manifest as a registry serves it: the config blob and the compressed layers, the
bytes a push sends and a pull fetches. Only single-image v2 manifests (Docker or OCI): an index
(a multi-platform list) is an error, not a guess at one platform."""

from __future__ import annotations

from dataclasses import dataclass

from kit.errors import RegistryError

#: What to accept when asking for a manifest: Docker's v2 schema 2 and its OCI twin.
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)


@dataclass(frozen=True)
class Blob:
    digest: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """An image manifest as the registry stores it: the config blob and compressed layers."""

    digest: str | None
    config: Blob
    layers: tuple[Blob, ...]

    @property
    def total_bytes(self) -> int:
        return self.config.size + sum(layer.size for layer in self.layers)

    @classmethod
    def parse(cls, doc: dict[str, object], digest: str | None = None) -> Manifest:
        if doc.get("schemaVersion") != 2 or "layers" not in doc:
            raise RegistryError(
                f"not a single-image v2 manifest (mediaType {doc.get('mediaType')!r})"
            )

        def blob(raw: object) -> Blob:
            if not isinstance(raw, dict):
                raise RegistryError(f"malformed manifest entry: {raw!r}")
            return Blob(str(raw["digest"]), int(raw["size"]))

        layers = doc["layers"]
        assert isinstance(layers, list)
        return cls(digest, blob(doc.get("config")), tuple(blob(layer) for layer in layers))
