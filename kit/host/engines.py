"""Today's engines beside the default one: ``kit engine up --engine 28 --store containerd``.

Each choice (an engine of :data:`kit.host.debian_engine.RELEASES` × an image store) is an
:class:`~kit.host.extra_engine.ExtraEngine` run from that release's unpacked packages, with its
own data root, exec root, socket and pid file under ``<state>/engines/<engine>-<store>``, so
several choices can run at once, beside the user's engine and without touching it. The classic
store is ``overlay2``; the containerd image store is dockerd's
``features.containerd-snapshotter`` (the default of fresh Engine 29 installs and Docker Desktop).

The CLI that drives BuildKit on it is the release's own with its buildx plugin: the
environment :meth:`Running.environ` gives (``DOCKER_HOST``, ``DOCKER_CONFIG`` holding the
plugin, ``PATH`` with the release's ``docker`` first) is what the kit's later commands need.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.config import state_dir
from kit.engine import Engine
from kit.errors import UsageError
from kit.host.debian_engine import Release, Unpacked, release, unpack
from kit.host.extra_engine import ExtraEngine

STORES = ("overlay2", "containerd")


@dataclass(frozen=True)
class Choice:
    """An engine and an image store, as ``kit engine up --engine E --store S`` names them."""

    engine: str
    store: str = "overlay2"

    def __post_init__(self) -> None:
        if self.store not in STORES:
            raise UsageError(f"--store {self.store}: choose one of {', '.join(STORES)}")
        release(self.engine)  # an unknown engine is refused here, before anything runs

    @property
    def release(self) -> Release:
        return release(self.engine)

    @property
    def slug(self) -> str:
        return f"{self.engine}-{self.store}"

    def daemon_config(self) -> dict[str, Any]:
        """What its daemon.json says beyond the kit's own keys: the image store."""
        if self.store == "containerd":
            return {"features": {"containerd-snapshotter": True}}
        return {"storage-driver": "overlay2"}


def home() -> Path:
    """Where the kit keeps the releases' .debs, their unpacked roots and the engines' files."""
    return state_dir() / "engines"


def environ(unpacked: Unpacked, docker_host: str, config_dir: Path) -> dict[str, str]:
    """The environment in which the kit (and its docker CLI, with buildx) uses that engine."""
    return {
        "DOCKER_HOST": docker_host,
        "DOCKER_CONFIG": str(config_dir),
        "PATH": f"{unpacked.root / 'usr' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@dataclass(frozen=True)
class Running:
    """An engine the kit brought up: the choice, where it lives, and how to reach it."""

    choice: Choice
    root: Path
    docker_host: str
    config_dir: Path
    unpacked: Unpacked
    pid: int | None

    def environ(self) -> dict[str, str]:
        return environ(self.unpacked, self.docker_host, self.config_dir)

    def connect(self, timeout: int = 120) -> Engine:
        """The kit's Engine on it, its BuildKit builds through this release's CLI and buildx
        (whatever the process's own environment says)."""
        return Engine.connect(timeout, base_url=self.docker_host, cli_env=self.environ())


def _engine(choice: Choice, unpacked: Unpacked) -> ExtraEngine:
    return ExtraEngine(
        home() / choice.slug,
        binary=unpacked.dockerd,
        # Its containerd and shims are found beside it; runc is the system's.
        env={"PATH": unpacked.bin_path},
        config=choice.daemon_config(),
    )


def _config_dir(choice: Choice, unpacked: Unpacked) -> Path:
    """A DOCKER_CONFIG of this engine's own holding the release's buildx plugin (the CLI looks
    for plugins there and in fixed system folders, never beside itself)."""
    config = home() / "config" / choice.slug
    plugins = config / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "docker-buildx"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(unpacked.buildx)
    return config


def up(choice: Choice) -> Running:
    """Fetch (once) and unpack the release, start its dockerd with the chosen store and wait
    until it answers; an engine of that choice already running is used as it is."""
    unpacked = unpack(choice.release, home())
    engine = _engine(choice, unpacked)
    if engine.pid is None:
        engine.start()
    config = _config_dir(choice, unpacked)
    return Running(choice, engine.root, engine.docker_host, config, unpacked, engine.pid)


def running(choice: Choice) -> Running | None:
    """The engine of that choice, when the kit brought it up and it still runs."""
    root = home() / "roots" / choice.release.suite
    if not (root / ".kit-unpacked").exists():
        return None
    unpacked = unpack(choice.release, home())
    engine = _engine(choice, unpacked)
    if engine.pid is None:
        return None
    config = home() / "config" / choice.slug
    return Running(choice, engine.root, engine.docker_host, config, unpacked, engine.pid)


def down(choice: Choice) -> bool:
    """Stop that engine and remove its files (the cached .debs and unpacked roots stay);
    whether one was running."""
    root = home() / choice.slug
    if not root.exists():
        return False
    engine = ExtraEngine.attach(root)
    was = engine.pid is not None
    engine.stop()
    (home() / "config" / choice.slug / "cli-plugins" / "docker-buildx").unlink(missing_ok=True)
    return was
