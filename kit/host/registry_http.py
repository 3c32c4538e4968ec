"""Reading an image from a registry over its HTTP API (distribution's ``/v2/``): the manifest a
tag names, an index followed to the image for one platform with its attestation manifests' blobs
beside it, and the config's diff ids (:class:`kit.host.manifest.Manifest`)."""

from __future__ import annotations

import platform as platform_module
from dataclasses import replace

import requests

from kit.errors import RegistryError
from kit.host.manifest import ACCEPT, Blob, Index, Manifest, is_index

#: ``uname -m`` → the architecture as an image platform names it.
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm/v7", "i686": "386"}


def host_platform() -> str:
    """This machine's platform as an index names it (``linux/amd64``): the image an engine here
    pulls from an index."""
    machine = platform_module.machine()
    return f"linux/{_ARCH.get(machine, machine)}"


def _get(
    http: requests.Session, url: str, what: str, path: str, accept: str | None = None
) -> requests.Response:
    try:
        response = http.get(
            f"{url}/v2/{path}", headers={"Accept": accept} if accept else {}, timeout=30
        )
    except requests.RequestException as exc:
        raise RegistryError(f"registry {url} does not answer: {exc}") from exc
    if response.status_code != 200:
        raise RegistryError(
            f"no {what} on {url} (HTTP {response.status_code}: {response.text[:200]})"
        )
    return response


def _document(
    http: requests.Session, url: str, repository: str, reference: str
) -> tuple[dict[str, object], str | None]:
    what = f"manifest for {repository}:{reference}"
    response = _get(http, url, what, f"{repository}/manifests/{reference}", ", ".join(ACCEPT))
    doc = response.json()
    if not isinstance(doc, dict):
        raise RegistryError(f"{repository}:{reference} on {url} is not a manifest")
    return doc, response.headers.get("Docker-Content-Digest")


def read_manifest(
    http: requests.Session, url: str, repository: str, tag: str, platform: str | None = None
) -> Manifest:
    """The image ``repository:tag`` names on the registry at ``url``, with its config's diff
    ids. An index is followed to its image manifest for ``platform`` (default: this
    machine's), and its attestation manifests' config and layer blobs are kept beside it."""
    doc, digest = _document(http, url, repository, tag)
    if not is_index(doc):
        found = Manifest.parse(doc, digest)
    else:
        index = Index.parse(doc, digest)
        entry = index.image_for(platform or host_platform())
        image, image_digest = _document(http, url, repository, entry.digest)
        attached: list[Blob] = []
        for other in index.attestations:
            extra = Manifest.parse(_document(http, url, repository, other.digest)[0])
            attached.extend((extra.config, *extra.layers))
        found = replace(
            Manifest.parse(image, image_digest or entry.digest),
            index_digest=digest,
            attached=tuple(attached),
        )
    return replace(found, diff_ids=_diff_ids(http, url, repository, found.config.digest))


def _diff_ids(http: requests.Session, url: str, repository: str, config: str) -> tuple[str, ...]:
    """``rootfs.diff_ids`` of the image config blob ``config``: the layers' uncompressed
    digests, which every engine reports alike (``RootFS.Layers``)."""
    what = f"config {config} in {repository}"
    doc = _get(http, url, what, f"{repository}/blobs/{config}").json()
    rootfs = doc.get("rootfs") if isinstance(doc, dict) else None
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(ids, list):
        raise RegistryError(f"the config {config} in {repository} lists no rootfs diff ids")
    return tuple(str(d) for d in ids)
