"""Bring a Docker engine up on a bare Debian machine, and down again.

``up`` uses an engine that already answers; otherwise, as root on Debian/Ubuntu, it installs
Debian's ``docker.io`` and starts ``dockerd`` without a bridge, iptables or masquerading: this
workplace forbids private-range addresses, containers under test run with network ``none`` and
builds with the host network (the flags: :mod:`kit.host.lifecycle`). Pid files a crashed
dockerd left are recognised as stale (gone, a zombie, or another program by now) and removed
first.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from kit.config import state_dir
from kit.engine import Engine
from kit.errors import EngineError
from kit.host.lifecycle import Dockerd, Place
from kit.util.pids import read_pid, running

logger = logging.getLogger("kit")

#: A module global so that a test can start a throwaway dockerd of its own, never the machine's.
PLACE = Place()


@dataclass(frozen=True)
class EngineStatus:
    started_by_kit: bool
    pid: int | None
    log: Path | None
    version: str


def _answers() -> Engine | None:
    try:
        return Engine.connect(timeout=10)
    except EngineError:
        return None


def _serves_place() -> bool:
    """Whether the engine the kit talks to is the one the kit starts: no DOCKER_HOST, or
    DOCKER_HOST naming :data:`PLACE`'s socket."""
    host = os.environ.get("DOCKER_HOST")
    return not host or host == PLACE.host


def _daemon() -> Dockerd:
    """The dockerd ``up`` starts; the kit keeps its pid in its state dir, since the place's pid
    file may be a dockerd's the kit did not start."""
    return Dockerd(PLACE, state_dir() / "dockerd.log", record=state_dir() / "dockerd.pid")


def up(wait_s: float = 60.0) -> EngineStatus:
    """Use a running engine, or install and start one; idempotent."""
    log = state_dir() / "dockerd.log"
    ours = read_pid(state_dir() / "dockerd.pid")
    engine = _answers()
    if engine is not None:
        version = engine.info().version
        engine.close()
        # Kit's dockerd serves its own socket; an engine reached through another DOCKER_HOST is
        # someone else's even while kit's own daemon also runs.
        mine = ours is not None and running(ours, "dockerd") and _serves_place()
        return EngineStatus(mine, ours if mine else None, log, version)
    if not _serves_place():
        raise EngineError(
            f"DOCKER_HOST={os.environ['DOCKER_HOST']} does not answer",
            hint="start that engine, or unset DOCKER_HOST to let `kit engine up` start a local one",
        )
    if os.name != "posix" or not Path("/etc/debian_version").exists() or os.geteuid() != 0:
        raise EngineError(
            "no Docker engine answers, and the kit can only start one as root on Debian/Ubuntu",
            hint="start Docker (Docker Desktop, `systemctl start docker`, or rootless dockerd) "
            "or point DOCKER_HOST at a running engine",
        )
    versions: list[str] = []

    def ready() -> bool:
        # The engine the kit talks to, as every later command reaches it.
        found = _answers()
        if found is None:
            return False
        versions.append(found.info().version)
        found.close()
        return True

    pid = _daemon().start(wait_s, ready)
    return EngineStatus(True, pid, log, versions[-1])


def down(wait_s: float = 30.0) -> bool:
    """Stop the dockerd that ``up`` started; never one the kit did not start."""
    return _daemon().stop(wait_s)
