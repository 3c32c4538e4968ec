"""Installing Debian packages the kit needs (docker.io, debootstrap, fatrace, docker-registry)
when it runs as root on Debian or Ubuntu."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kit.config import state_dir
from kit.errors import EngineError


def log_tail(path: Path, lines: int = 20) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def apt_install(*packages: str) -> None:
    """Install Debian packages (root only); raise with apt's own words when it fails."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise EngineError(
            f"cannot install {' '.join(packages)}: needs root on Debian/Ubuntu",
            hint=f"install {' '.join(packages)} with your system's package manager",
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = state_dir() / "apt.log"
    with log.open("ab") as out:
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", *packages]):
            if subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env).returncode:
                raise EngineError(f"`{' '.join(cmd)}` failed", file=log, log_tail=log_tail(log))
