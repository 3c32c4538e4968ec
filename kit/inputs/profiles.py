"""Profiles: which base images an experiment builds on.

``local`` uses the kit's embedded bases (``kit bases``), ``hub`` Docker Hub's official images for
the same roles, ``auto`` picks ``hub`` when the engine reaches the Hub within a few seconds.
"""

from __future__ import annotations

from kit.engine.client import Engine
from kit.errors import ExperimentConfigError

CHOICES = ("auto", "local", "hub")

# Keyed by address and daemon id: a later engine may listen on the socket path an earlier one
# (an extra dockerd of the same run, stopped since) used, and its answer may differ.
_hub_cache: dict[tuple[str, str], bool] = {}


def resolve(profile: str, engine: Engine) -> str:
    if profile not in CHOICES:
        raise ExperimentConfigError(
            f"unknown profile {profile!r}: choose one of {', '.join(CHOICES)}"
        )
    if profile != "auto":
        return profile
    key = (engine.api.base_url, engine.info().daemon_id)
    if key not in _hub_cache:
        _hub_cache[key] = engine.transfers.hub_answers()
    return "hub" if _hub_cache[key] else "local"
