"""Profiles: which base images an experiment builds on.

``local`` uses the kit's embedded bases (``kit bases``), ``hub`` Docker Hub's official images for
the same roles, ``auto`` picks ``hub`` when the engine reaches the Hub within a few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kit.engine import Engine
from kit.errors import ExperimentConfigError

CHOICES = ("auto", "local", "hub")
_ARG = re.compile(r"\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?\s*$", re.IGNORECASE)
_FROM = re.compile(r"\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE)
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")

_hub_cache: dict[str, bool] = {}


def resolve(profile: str, engine: Engine) -> str:
    if profile not in CHOICES:
        raise ExperimentConfigError(
            f"unknown profile {profile!r}: choose one of {', '.join(CHOICES)}"
        )
    if profile != "auto":
        return profile
    key = engine.api.base_url
    if key not in _hub_cache:
        _hub_cache[key] = engine.hub_answers()
    return "hub" if _hub_cache[key] else "local"


def _substitute(text: str, values: Mapping[str, str]) -> str:
    return _REF.sub(lambda r: values.get(r.group(1) or r.group(2), ""), text)


def stages(dockerfile_text: str, buildargs: Mapping[str, str]) -> list[tuple[str | None, str]]:
    """(stage name, FROM reference) per stage, global ARG defaults and build args substituted."""
    defaults: dict[str, str] = {}
    found: list[tuple[str | None, str]] = []
    for line in dockerfile_text.splitlines():
        if not found and (m := _ARG.match(line)):
            defaults[m.group(1)] = (m.group(2) or "").strip("\"'")
        elif m := _FROM.match(line):
            ref = _substitute(m.group(1), {**defaults, **buildargs})
            found.append((m.group(2), ref))
    return found


def base_images(dockerfile_text: str, buildargs: Mapping[str, str]) -> list[str]:
    """External images named by FROM; stage names and ``scratch`` are not images to fetch."""
    names: set[str] = set()
    images: list[str] = []
    for name, ref in stages(dockerfile_text, buildargs):
        if ref.lower() != "scratch" and ref not in names and ref not in images:
            images.append(ref)
        if name:
            names.add(name)
    return images


def release_base(dockerfile_text: str, buildargs: Mapping[str, str]) -> str | None:
    """The image the final stage starts from, following stage aliases (None: no FROM)."""
    found = stages(dockerfile_text, buildargs)
    if not found:
        return None
    by_name = {name: ref for name, ref in found if name}
    ref = found[-1][1]
    while ref in by_name and by_name[ref] != ref:
        ref = by_name.pop(ref)
    return ref
