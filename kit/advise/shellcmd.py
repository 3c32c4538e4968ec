"""What the techniques recognise in a RUN's commands: package installs, cleanups and cache
mounts. Plain patterns on one ``&&``-separated command, as people write them."""

from __future__ import annotations

import re

from kit.inputs.dockerfile import Instruction

APT_INSTALL = re.compile(r"^(?:DEBIAN_FRONTEND=\S+\s+)?apt(?:-get)?\s+(?:-\S+\s+)*install\b")
APT_UPDATE = re.compile(r"^apt(?:-get)?\s+(?:-\S+\s+)*update\b")
NPM_INSTALL = re.compile(r"^npm\s+(?:install|i|ci)(?:\s+-{1,2}\S+)*\s*$")
PIP_INSTALL = re.compile(r"^(?:python3?(?:\.\d+)?\s+-m\s+)?pip3?\s+install\b")
#: A command that only removes files or caches: what a later cleanup RUN holds.
CLEANUP = re.compile(
    r"^(?:rm\s+-[rf]+\s+\S.*|apt-get\s+(?:clean|autoclean)|apt-get\s+(?:-y\s+)?autoremove.*"
    r"|npm\s+cache\s+clean.*|pip3?\s+cache\s+purge|yarn\s+cache\s+clean)$"
)


def cache_mounts(x: Instruction) -> list[str]:
    """The targets of a RUN's ``--mount=type=cache`` flags."""
    targets = []
    for key, value in x.flags:
        if key != "mount" or not value:
            continue
        parts = dict(p.partition("=")[::2] for p in value.split(","))
        if parts.get("type") == "cache":
            targets.append(parts.get("target") or parts.get("dst") or parts.get("destination", ""))
    return targets


def cached(x: Instruction, path: str) -> bool:
    """The RUN keeps ``path`` in a cache mount: its files never reach the image."""
    return any(
        t and (path.startswith(t.rstrip("/")) or t.startswith(path)) for t in cache_mounts(x)
    )
