"""The embedded bases under the official names they stand in for (``kit bases --as-official``),
so a Dockerfile that says ``FROM node:18-slim`` builds offline unchanged.

A name is tagged only where its registry does not serve it (asked through the engine, so a
registry mirror counts), and never over an image that already has that name unless forced; the
kit's own earlier tags (``kit.host.tags``) are moved, not counted as someone else's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kit.engine import Engine
from kit.host.bases import BASES, BaseSpec
from kit.host.tags import recorded, remember, split

DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class OfficialTag:
    name: str  # e.g. "node:18-slim", "gcr.io/distroless/nodejs18-debian12:nonroot"
    base: str  # the embedded base it stands for
    action: str  # tagged | present | moved | forced | kept | served | no-base
    detail: str = ""


def mapping() -> list[tuple[str, BaseSpec]]:
    """Every official name with the base standing in for it, in the bases' order."""
    return [(name, spec) for spec in BASES for name in spec.official]


def registry_of(name: str) -> str:
    """The registry a reference is pulled from: a first part with a dot or a port, else the Hub."""
    first, slash, _ = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


def served_by_registry(engine: Engine) -> Callable[[str], bool]:
    """A check of whether a name's registry serves it. Each registry is probed once: one that
    does not answer at all (offline) serves nothing, with no per-name wait."""
    reachable: dict[str, bool] = {}

    def served(name: str) -> bool:
        registry = registry_of(name)
        if registry not in reachable:
            reachable[registry] = (
                engine.transfers.hub_answers()
                if registry == DOCKER_HUB
                else engine.transfers.registry_answer(name) != "unreachable"
            )
        return reachable[registry] and engine.transfers.registry_answer(name) == "found"

    return served


def tag_official(
    engine: Engine, *, force: bool = False, served: Callable[[str], bool] | None = None
) -> list[OfficialTag]:
    """Tag every base present on the engine under its official names, where allowed."""
    served = served or served_by_registry(engine)
    mine = recorded(engine)
    outcomes = []
    for name, spec in mapping():
        base = engine.images.inspect(spec.ref)
        if base is None:
            outcomes.append(OfficialTag(name, spec.ref, "no-base", "run `kit bases` first"))
            continue
        holder = engine.images.inspect(name)
        if holder is not None and holder.id == base.id:
            outcomes.append(OfficialTag(name, spec.ref, "present"))
            continue
        if served(name):
            outcomes.append(OfficialTag(name, spec.ref, "served", "its registry serves it"))
            continue
        if holder is None:
            action = "tagged"
        elif mine.get(name) == holder.id:
            action = "moved"  # the kit's own tag, on an earlier build of the base
        elif force:
            action = "forced"
        else:
            outcomes.append(
                OfficialTag(name, spec.ref, "kept", f"another image has it ({holder.id[7:19]})")
            )
            continue
        engine.images.tag(base.id, *split(name))
        mine[name] = base.id
        if holder is not None and action == "moved":
            engine.images.remove(holder.id)  # only if nothing else uses it
        outcomes.append(OfficialTag(name, spec.ref, action))
    remember(engine, mine)
    return outcomes


def status(engine: Engine) -> dict[str, str]:
    """What each official name holds on this engine, without asking any registry."""
    mine = recorded(engine)
    states = {}
    for name, spec in mapping():
        base = engine.images.inspect(spec.ref)
        holder = engine.images.inspect(name)
        if holder is None:
            states[name] = "-"
        elif base is not None and holder.id == base.id:
            states[name] = "the base" + ("" if mine.get(name) == holder.id else " (not by the kit)")
        elif mine.get(name) == holder.id:
            states[name] = "an earlier build of the base"
        else:
            states[name] = f"another image ({holder.id[7:19]})"
    return states
