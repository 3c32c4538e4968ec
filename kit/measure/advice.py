"""What to do about a build that cannot have its images, said only where it can help.

The kit's embedded bases (``kit bases``) stand in for a fixed list of official images (``kit
bases --as-official`` tags them under those names, :mod:`kit.host.official`). Advice to use
them is given for an image they stand in for; an image none stands in for (``node:18-alpine``:
the kit makes no Alpine base) gets what can work instead — a registry that answers, or another
base — and the list of names that do have a stand-in.
"""

from __future__ import annotations

from collections.abc import Sequence

from kit.host.bases import BASES
from kit.host.official import mapping


def _standins() -> dict[str, str]:
    """Official name → the embedded base standing in for it."""
    return {name: spec.ref for name, spec in mapping()}


def image_hint(refs: Sequence[str], profile: str) -> str:
    """Advice for images a build could not have (``profile``: the one it ran under)."""
    kitbases = {spec.ref for spec in BASES}
    standins = _standins()
    own = [r for r in dict.fromkeys(refs) if r in kitbases]
    official = [r for r in dict.fromkeys(refs) if r in standins]
    other = [r for r in dict.fromkeys(refs) if r not in kitbases and r not in standins]
    said: list[str] = []
    if own:
        said.append(f"run `kit bases` to make {', '.join(own)}")
    if official:
        pairs = ", ".join(f"{r} (as {standins[r]})" for r in official)
        said.append(f"run `kit bases --as-official` to make the embedded stand-ins for {pairs}")
    if other:
        names = ", ".join(sorted(standins))
        route = (
            "build with `--profile hub` where Docker Hub answers"
            if profile == "local"
            else "make the image's registry (or a registry mirror the engine uses) reachable"
        )
        said.append(
            f"no embedded stand-in exists for {', '.join(other)} (the kit's bases stand in for "
            f"{names}): {route}, or base the variant on one of those"
        )
    return "; ".join(said)
