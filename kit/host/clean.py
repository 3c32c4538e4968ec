"""``kit clean``: remove what the kit created on the engine, and nothing of anyone else's.

Containers are the kit's by their ``kit.run`` label. Images are the kit's by their *tags* in
``kitexp/`` (``--images``) and ``kitbase/`` (``--bases``): each such tag is removed the way
``docker rmi <tag>`` removes it, never forced, so an image the user also tagged under another name
keeps that name and stays, and an image a container still uses stays with the reason. While a run
or a batch uses the engine (:func:`kit.util.locks.engine_in_use`), nothing is removed unless
``force``: its containers and images would vanish mid-measurement.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from kit.engine import RUN_LABEL, Engine
from kit.host.tags import untag_official
from kit.util.locks import engine_idle


@dataclass(frozen=True)
class CleanReport:
    """What was removed and kept, one line each, for the user to read."""

    containers: tuple[str, ...]  # "<id> (run <run id>)"
    deleted: tuple[str, ...]  # "<image id> (<its kit tags>)": the image is gone
    untagged: tuple[str, ...]  # "<tag> (image <id> kept: also tagged <other tags>)"
    kept: tuple[str, ...]  # "<tag> (image <id> kept: <the engine's reason>)"

    def lines(self) -> list[str]:
        return [
            *(f"removed container {c}" for c in self.containers),
            *(f"removed image {d}" for d in self.deleted),
            *(f"untagged {u}" for u in self.untagged),
            *(f"kept {k}" for k in self.kept),
            f"removed {len(self.containers)} container(s), {len(self.deleted)} image(s); "
            f"untagged {len(self.untagged)} tag(s) of images that keep other tags; "
            f"kept {len(self.kept)}",
        ]


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def clean(engine: Engine, *, images: bool, bases: bool, force: bool) -> CleanReport:
    """Remove the kit's containers, and the kit's image tags of the chosen kinds."""
    info = engine.info()
    idle = engine_idle(info.daemon_id or info.host, "kit clean refuses")
    with contextlib.nullcontext() if force else idle:
        containers = []
        for container in engine.containers.kit_containers():
            run = engine.containers.inspect(container).labels.get(RUN_LABEL, "?")
            engine.containers.remove(container)
            containers.append(f"{container[:12]} (run {run})")
        # Experiment images first: the bases are their parents.
        kinds = (("kitexp/",) if images else ()) + (("kitbase/",) if bases else ())
        deleted: list[str] = []
        untagged: list[str] = []
        kept: list[str] = []
        if bases:
            # The official names `kit bases --as-official` tagged go before the bases they name.
            untagged += (
                f"{name} (an official name the kit had tagged)" for name in untag_official(engine)
            )
        for prefix in kinds:
            for image_id in engine.images.kit_images((prefix,)):
                _remove_kit_tags(engine, image_id, prefix, deleted, untagged, kept)
    return CleanReport(tuple(containers), tuple(deleted), tuple(untagged), tuple(kept))


def _remove_kit_tags(
    engine: Engine,
    image_id: str,
    prefix: str,
    deleted: list[str],
    untagged: list[str],
    kept: list[str],
) -> None:
    image = engine.images.inspect(image_id)
    if image is None:
        return  # gone with an image removed before it
    mine = [t for t in image.repo_tags if t.startswith(prefix)]
    others = [t for t in image.repo_tags if not t.startswith(prefix)]
    for tag in mine:
        removal = engine.images.remove_tag(tag)
        if removal.conflict is not None:
            kept.append(f"{tag} (image {_short(image_id)} kept: {removal.conflict})")
        elif others:
            untagged.append(
                f"{tag} (image {_short(image_id)} kept: also tagged {', '.join(others)})"
            )
        elif image_id in removal.deleted:
            deleted.append(f"{_short(image_id)} ({', '.join(mine)})")
        elif removal.untagged:  # the engine keeps it: images are built on it
            untagged.append(f"{tag} (image {_short(image_id)} kept: other images build on it)")
