"""The envelope every row of a run carries: which run, which kit, which engine, builder and host,
which commit of the app, with which parameters, when."""

from __future__ import annotations

import os
import platform
import secrets
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from kit.config import settings
from kit.engine import EngineInfo
from kit.errors import UsageError
from kit.model.rows import RunInfo


def kit_version() -> str:
    try:
        return version("image-diet-kit")
    except Exception:  # not installed (a source checkout on sys.path)
        return "0+unknown"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def resolve_ref(directory: Path, ref: str) -> str:
    """The commit a git ref (a branch, a tag, ``HEAD~1``) names in ``directory``'s checkout."""
    commit = _git(directory, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if not commit:
        raise UsageError(
            f"{ref!r} is not a commit of the git checkout holding {directory}", file=directory
        )
    return commit


def git_commit(directory: Path) -> str | None:
    """The checkout's commit, "+dirty" when files under ``directory`` differ from it."""

    def git(*args: str) -> str | None:
        return _git(directory, *args)

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    return commit + ("+dirty" if git("status", "--porcelain", "--", ".") else "")


def machine() -> str:
    """Where the timings were taken: "x86_64, 2 cores, 23.4 GiB, Debian GNU/Linux 12 …"."""
    cores = os.cpu_count() or 0
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        memory = f", {total / 2**30:.1f} GiB"
    except (OSError, ValueError):
        memory = ""
    try:
        system = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        system = platform.system()
    return f"{platform.machine()}, {cores} cores{memory}, {system}, kernel {platform.release()}"


def run_info(
    info: EngineInfo,
    *,
    profile: str,
    requested: str,
    directory: Path,
    parameters: str,
    builder: str = "classic",
    requested_builder: str | None = None,
    builder_note: str | None = None,
    builder_version: str | None = None,
) -> RunInfo:
    """A new run's envelope (``finished_utc`` is set when it ends)."""
    return RunInfo(
        run_id=new_run_id(),
        kit_version=kit_version(),
        engine_version=info.version,
        engine_api=info.api_version,
        storage_driver=info.storage_driver,
        containerd_store=info.containerd_store,
        engine_host=info.host,
        host=platform.node(),
        profile=profile,
        requested_profile=requested,
        timestamp_utc=now(),
        git_commit=git_commit(directory),
        batch_id=settings().batch_id,
        parameters=parameters,
        builder=builder,
        requested_builder=requested_builder,
        builder_note=builder_note,
        builder_version=builder_version,
        machine=machine(),
    )
