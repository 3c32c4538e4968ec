"""Settings: every ``KIT_*`` environment variable, read once into a frozen :class:`Settings`,
and where the kit's own files live (its state folder, and the notebooks and Dockerfiles it ships
as package data).

=====================  ==========================================================================
``KIT_STORE``          the result store's folder (default ``./results``)
``KIT_FORCE``          ``1``: measure again even what the store could reuse
``KIT_LOG``            ``json``: log JSON lines
``KIT_BATCH_ID``       set by ``kit batch`` for each notebook's kernel
``KIT_STATE_DIR``      where the kit keeps dockerd's log and pid, locks (``~/.local/state/kit``)
``KIT_DOCKERFILES``    another folder of bundled Dockerfiles (``bases/`` below it)
``KIT_HOST_CA``        ``0``: leave the host's own CA certificates out of the embedded bases
``KIT_PROGRESS``       ``off``: no progress bars (the kit sets it for the notebooks it executes)
=====================  ==========================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_TRUE = ("1", "true", "yes")


@dataclass(frozen=True)
class Settings:
    store: Path
    force: bool
    log_json: bool
    batch_id: str | None
    state_dir: Path
    dockerfiles: Path | None  # None: the bundled ones
    host_ca: bool
    progress: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        state = env.get("KIT_STATE_DIR") or os.path.join(
            env.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"), "kit"
        )
        return cls(
            store=Path(env.get("KIT_STORE") or "results"),
            force=env.get("KIT_FORCE", "").lower() in _TRUE,
            log_json=env.get("KIT_LOG", "").lower() == "json",
            batch_id=env.get("KIT_BATCH_ID") or None,
            state_dir=Path(state),
            dockerfiles=Path(env["KIT_DOCKERFILES"]) if env.get("KIT_DOCKERFILES") else None,
            host_ca=env.get("KIT_HOST_CA", "1") != "0",
            progress=env.get("KIT_PROGRESS", "").lower() not in ("off", "0", "false", "no"),
        )


_NAMES = (
    "KIT_STORE",
    "KIT_FORCE",
    "KIT_LOG",
    "KIT_BATCH_ID",
    "KIT_STATE_DIR",
    "XDG_STATE_HOME",
    "KIT_DOCKERFILES",
    "KIT_HOST_CA",
    "KIT_PROGRESS",
)


@cache
def _parsed(snapshot: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.from_env(dict(snapshot))


def settings() -> Settings:
    """The settings for the environment as it is now: parsed once per distinct environment, so a
    process that sets a variable late (``kit batch`` for a kernel, a test) is seen as it is."""
    snapshot = tuple((n, os.environ[n]) for n in _NAMES if n in os.environ)
    return _parsed(snapshot)


def state_dir() -> Path:
    path = settings().state_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def _bundled(folder: str) -> Path:
    """A top-level folder of the repository, shipped in the wheel as ``kit/_<folder>``
    (pyproject: package-dir): the installed copy, else the source checkout's own."""
    here = Path(__file__).resolve().parent
    installed = here / f"_{folder}"
    return installed if installed.is_dir() else here.parent / folder


def notebooks_dir() -> Path:
    """The bundled notebooks (00_overview … explore, default.yml)."""
    return _bundled("notebooks")


def dockerfiles_dir() -> Path:
    """The bundled Dockerfiles: the apps, and ``bases/`` (the embedded bases' recipes)."""
    return settings().dockerfiles or _bundled("dockerfiles")
