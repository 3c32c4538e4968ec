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
from kit.inputs.app import App, Variant

_OWN_REPO = "kitbase/"


def _standins() -> dict[str, str]:
    """Official name → the embedded base standing in for it."""
    return {name: spec.ref for name, spec in mapping()}


def image_hint(refs: Sequence[str], profile: str, local_refs: Sequence[str] | None = None) -> str:
    """Advice for images a build could not have (``profile``: the one it ran under;
    ``local_refs``: the images the experiment's local profile builds on instead, if it has
    one — suggested only if the kit can make every one of them)."""
    kitbases = {spec.ref for spec in BASES}
    standins = _standins()
    makeable = kitbases | set(standins)
    if profile != "local" and local_refs and all(r in makeable for r in local_refs):
        refs_there = ", ".join(dict.fromkeys(local_refs))
        return (
            f"build with `--profile local`, on this experiment's embedded bases ({refs_there}; "
            "`kit bases --as-official` makes them)"
        )
    asked = list(dict.fromkeys(refs))
    own = [r for r in asked if r in kitbases]
    # A kitbase/ name the kit does not make: `kit bases` cannot help, whatever the name says.
    unmade = [r for r in asked if r.startswith(_OWN_REPO) and r not in kitbases]
    official = [r for r in asked if r in standins]
    other = [r for r in asked if r not in kitbases and r not in standins and r not in unmade]
    said: list[str] = []
    if own:
        said.append(f"run `kit bases` to make {', '.join(own)}")
    if unmade:
        said.append(
            f"`kit bases` makes no {', '.join(unmade)} (it makes {', '.join(sorted(kitbases))}): "
            "base the variant on one of those"
        )
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


def local_refs(app: App, variant: Variant) -> list[str] | None:
    """The images the experiment's local profile builds this variant on, if it has one."""
    if "local" not in app.profile_args:
        return None
    return [ref for _, ref in app.images(variant, "local")]
