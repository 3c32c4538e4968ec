"""An image manifest as a registry serves it: the config blob and the compressed layers, the
bytes a push sends and a pull fetches.

A tag may name a single-image v2 manifest (Docker or OCI) or an index: BuildKit on the
containerd image store (Engine 25+ with ``features.containerd-snapshotter``) makes every image an
OCI index holding the image's manifest and an attestation manifest (provenance; ``platform``
``unknown/unknown``, annotated ``vnd.docker.reference.type: attestation-manifest``). An index is
followed to the one image manifest for the platform asked (:meth:`Index.image_for`), never a
guess among several; the attestation manifests' blobs are pushed with the image, so they are
kept beside it (:attr:`Manifest.attached`).

Which digest an engine calls the image's id depends on its store: the classic store's id is the
config digest, the containerd store's the digest of what the tag names (the index, or the
manifest). :meth:`Manifest.same_image` compares what is comparable across both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kit.errors import RegistryError

#: Docker's v2 schema 2 and its OCI twin: one image.
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)
#: An OCI index and Docker's manifest list: several manifests under one tag.
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
#: What to accept when asking for a tag: without the index types, distribution answers an
#: index with HTTP 404 ("OCI index found, but accept header does not support OCI indexes").
ACCEPT = (*MANIFEST_TYPES, *INDEX_TYPES)
#: The annotation BuildKit puts on an index entry that is not an image of its own.
REFERENCE_TYPE = "vnd.docker.reference.type"


@dataclass(frozen=True)
class Blob:
    digest: str
    size: int


def _blob(raw: object) -> Blob:
    if not isinstance(raw, dict) or "digest" not in raw or "size" not in raw:
        raise RegistryError(f"malformed manifest entry: {raw!r}")
    return Blob(str(raw["digest"]), int(raw["size"]))


@dataclass(frozen=True)
class Manifest:
    """An image manifest as the registry stores it: the config blob and compressed layers.

    ``index_digest``: the index the tag names, when it names one (``digest`` is then the image
    manifest chosen in it). ``attached``: the config and layer blobs of the index's attestation
    manifests, pushed along with the image. ``diff_ids``: the config's ``rootfs.diff_ids`` when
    the registry was asked for them (:meth:`kit.host.registry.Registry.manifest`)."""

    digest: str | None
    config: Blob
    layers: tuple[Blob, ...]
    index_digest: str | None = None
    attached: tuple[Blob, ...] = ()
    diff_ids: tuple[str, ...] | None = None

    @property
    def tag_digest(self) -> str | None:
        """The digest the tag names (the index's, when it is one): what a pull records."""
        return self.index_digest or self.digest

    @property
    def total_bytes(self) -> int:
        """Config + compressed layers: what a host pulling the image downloads."""
        return self.config.size + sum(layer.size for layer in self.layers)

    @property
    def blobs(self) -> tuple[Blob, ...]:
        """Every blob a push of this tag sends (the attestations' included), each once."""
        unique = {b.digest: b for b in (self.config, *self.layers, *self.attached)}
        return tuple(unique.values())

    @property
    def ids(self) -> frozenset[str]:
        """The ids an engine may give this image: its config digest (classic store), the
        manifest's or the index's digest (containerd image store)."""
        found = {self.config.digest, self.digest, self.index_digest}
        return frozenset(d for d in found if d)

    def same_image(self, image_id: str, diff_ids: Sequence[str]) -> bool:
        """Whether an engine's image (its id and ``RootFS.Layers``) is this one, whichever
        store that engine keeps: the id is one of :attr:`ids`, and the layers' diff ids (the
        same on every store) agree when known."""
        if image_id not in self.ids:
            return False
        return self.diff_ids is None or tuple(diff_ids) == self.diff_ids

    @classmethod
    def parse(cls, doc: dict[str, object], digest: str | None = None) -> Manifest:
        if is_index(doc):
            raise RegistryError(
                f"an index (mediaType {doc.get('mediaType')!r}), not one image's manifest: "
                "follow it with Index.image_for"
            )
        if doc.get("schemaVersion") != 2 or "layers" not in doc:
            raise RegistryError(
                f"not a single-image v2 manifest (mediaType {doc.get('mediaType')!r})"
            )
        layers = doc["layers"]
        if not isinstance(layers, list):
            raise RegistryError(f"malformed manifest layers: {layers!r}")
        return cls(digest, _blob(doc.get("config")), tuple(_blob(layer) for layer in layers))


def is_index(doc: dict[str, object]) -> bool:
    return doc.get("mediaType") in INDEX_TYPES or ("manifests" in doc and "layers" not in doc)


@dataclass(frozen=True)
class Entry:
    """One manifest an index lists: its digest, ``os/arch[/variant]``, and what it refers to
    (``attestation-manifest``; None for an image)."""

    digest: str
    size: int
    platform: str
    reference_type: str | None

    @property
    def is_image(self) -> bool:
        return self.reference_type is None and self.platform != "unknown/unknown"


@dataclass(frozen=True)
class Index:
    digest: str | None
    entries: tuple[Entry, ...]

    @classmethod
    def parse(cls, doc: dict[str, object], digest: str | None = None) -> Index:
        raw = doc.get("manifests")
        if not isinstance(raw, list):
            raise RegistryError(f"malformed index: no manifests list in {str(doc)[:200]}")
        entries = []
        for item in raw:
            blob = _blob(item)
            assert isinstance(item, dict)
            plat = item.get("platform") or {}
            parts = [plat.get("os", "unknown"), plat.get("architecture", "unknown")]
            if plat.get("variant"):
                parts.append(plat["variant"])
            annotations = item.get("annotations") or {}
            kind = annotations.get(REFERENCE_TYPE)
            entries.append(Entry(blob.digest, blob.size, "/".join(parts), kind))
        return cls(digest, tuple(entries))

    @property
    def attestations(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if not e.is_image)

    def image_for(self, platform: str) -> Entry:
        """The one image manifest for ``platform`` (``linux/amd64``; a variant-less ask takes
        any variant of that architecture); when the index holds one image only, that one."""
        images = [e for e in self.entries if e.is_image]
        if len(images) == 1:
            return images[0]
        wanted = [e for e in images if e.platform == platform or _base(e.platform) == platform]
        if len(wanted) == 1:
            return wanted[0]
        listed = ", ".join(e.platform for e in images) or "no image"
        raise RegistryError(
            f"the index {self.digest} holds {len(wanted) or 'no'} image manifest(s) for "
            f"{platform} ({listed})"
        )


def _base(platform: str) -> str:
    return "/".join(platform.split("/")[:2])
