"""Images on the engine: inspect, history, export, tags, removal, import and disk usage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

import docker.errors

from kit.engine.labels import REPOSITORIES
from kit.engine.models import DiskUsage, HistoryStep, ImageInfo, Removal
from kit.engine.session import Session
from kit.errors import EngineError


class Images:
    def __init__(self, session: Session) -> None:
        self._s = session

    def inspect(self, ref: str) -> ImageInfo | None:
        """The image ``ref`` names (a tag or an id); None when the engine has no such image."""
        try:
            return ImageInfo.from_api(self._s.call(self._s.api.inspect_image, ref))
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError as exc:
            if exc.status_code == 404:
                return None
            raise

    def document(self, ref: str) -> dict[str, Any] | None:
        """``docker image inspect`` of ``ref`` as the engine sends it (what a registered
        measurement reads, :mod:`kit.measurements`); None when there is no such image."""
        try:
            found: dict[str, Any] = self._s.call(self._s.api.inspect_image, ref)
        except docker.errors.ImageNotFound:
            return None
        return found

    def history(self, ref: str) -> tuple[HistoryStep, ...]:
        return tuple(HistoryStep.from_api(h) for h in self._s.call(self._s.api.history, ref))

    def save(self, ref: str) -> Iterator[bytes]:
        """``docker save`` of one image as a stream of chunks; the whole archive is never held.

        The status check runs when the first chunk is asked for, so a missing image raises
        ``docker.errors.NotFound`` on iteration, not here.
        """
        # At most 1 MiB a chunk (urllib3 hands HTTP chunks over as they come, often smaller).
        stream: Iterator[bytes] = self._s.call(self._s.api.get_image, ref, chunk_size=1 << 20)
        return stream

    def ids(self) -> set[str]:
        """Ids of every image, intermediate ones included (for cleanup after a failed build)."""
        return {img["Id"] for img in self._s.call(self._s.api.images, all=True)}

    def remove_dangling_since(self, before: set[str]) -> int:
        """Remove untagged images that did not exist in ``before`` (a failed build's steps).

        Newest first, so children go before the parents they keep alive.
        """
        new = [
            img
            for img in self._s.call(self._s.api.images, all=True)
            if img["Id"] not in before
            and not [t for t in img.get("RepoTags") or [] if t != "<none>:<none>"]
        ]
        new.sort(key=lambda img: img.get("Created", 0), reverse=True)
        return sum(self.remove(img["Id"]) for img in new)

    def remove(self, ref: str, *, force: bool = False) -> bool:
        """Remove an image; False when it was already gone or is still in use."""
        try:
            self._s.call(self._s.api.remove_image, ref, force=force)
            return True
        except docker.errors.APIError as exc:
            if exc.status_code in (404, 409):
                return False
            raise

    def tag(self, image: str, repository: str, tag: str) -> None:
        """Tag ``image`` as ``repository:tag`` (a registry host in ``repository`` is fine)."""
        try:
            done = self._s.call(self._s.api.tag, image, repository, tag, force=True)
        except docker.errors.APIError as exc:
            raise EngineError(f"cannot tag {image} as {repository}:{tag}: {exc}") from exc
        if not done:
            raise EngineError(f"the engine refused to tag {image} as {repository}:{tag}")

    def untag(self, ref: str) -> bool:
        """Remove one reference (tag or digest); the image goes only with its last reference.

        ``noprune``: untagged parents (a classic build's step images, the user's build cache)
        are kept, never deleted as a side effect. False when already gone or still in use."""
        try:
            self._s.call(self._s.api.remove_image, ref, noprune=True)
            return True
        except docker.errors.APIError as exc:
            if exc.status_code in (404, 409):
                return False
            raise EngineError(f"cannot remove {ref}: {exc.explanation or exc}") from exc

    def remove_tag(self, tag: str) -> Removal:
        """Remove one tag, never forced: an image with other tags keeps them and stays; with its
        last reference it is deleted, with the untagged parents only it kept (a classic build's
        steps). A refusal (a container uses it) is returned, not raised."""
        try:
            return Removal.from_api(self._s.call(self._s.api.remove_image, tag))
        except docker.errors.APIError as exc:
            if exc.status_code == 404:
                return Removal()
            if exc.status_code == 409:
                return Removal(conflict=str(exc.explanation or exc))
            raise EngineError(f"cannot remove {tag}: {exc.explanation or exc}") from exc

    def kit_images(self, prefixes: tuple[str, ...] = REPOSITORIES) -> list[str]:
        """Ids of images tagged in the kit's own repositories."""
        found = []
        for img in self._s.call(self._s.api.images):
            if any(tag.startswith(prefixes) for tag in img.get("RepoTags") or []):
                found.append(str(img["Id"]))
        return found

    def import_rootfs(self, stream: IO[bytes], ref: str, changes: Iterable[str]) -> str:
        """``docker import`` of a root filesystem tar read from ``stream``."""
        repository, _, tag = ref.rpartition(":")
        self._s.call(
            self._s.api.import_image,
            src=stream,
            repository=repository,
            tag=tag,
            changes=list(changes),
            stream_src=True,
        )
        inspected = self.inspect(ref)
        if inspected is None:
            raise EngineError(f"docker import reported success but {ref} does not exist")
        return inspected.id

    def disk_usage(self) -> DiskUsage:
        """``docker system df -v``: images with their size and shared size, layers' total."""
        return DiskUsage.from_api(self._s.call(self._s.api.df))
