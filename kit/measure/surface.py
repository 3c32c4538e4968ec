"""The attack surface of an image: what an intruder would find in it.

Read from the image's filesystem through a container that is created but never started (the
archive API), so nothing in the image runs: the installed packages (dpkg's status, distroless's
status.d, apk's database), and whether a shell, a package manager, pip or a compiler is on the
usual bin paths. busybox counts as a shell, and its dpkg/rpm applets as package managers: they
work.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from kit.engine import RUN_LABEL, Engine
from kit.errors import ImageGoneError

BIN_DIRS = ("/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")
SHELL = re.compile(r"(sh|bash|ash|dash|zsh|ksh|mksh|busybox)")
PACKAGE_MANAGER = re.compile(r"(apt|apt-get|dpkg|apk|yum|dnf|microdnf|rpm|zypper)")
PIP = re.compile(r"pip(\d+(\.\d+)?)?")
COMPILER = re.compile(
    r"([a-z0-9_]+-linux-[a-z0-9_]+-)?(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|tcc)(-\d+)?"
)


@dataclass(frozen=True)
class AttackSurface:
    packages: int | None
    package_db: str | None  # "dpkg" | "apk"
    has_shell: bool
    has_package_manager: bool
    has_pip: bool
    has_compiler: bool
    found: tuple[str, ...]  # the paths behind the yes answers


def count_dpkg(status: str) -> int:
    return sum(
        1
        for stanza in re.split(r"\n\s*\n", status)
        if re.search(r"^Status: install ok installed\s*$", stanza, re.MULTILINE)
    )


def count_apk(installed: str) -> int:
    return sum(1 for line in installed.splitlines() if line.startswith("P:"))


def _bin_names(engine: Engine, container: str) -> Iterator[tuple[str, bool]]:
    """``(path, is_symlink)`` of the entries of the usual bin folders, each folder once."""
    seen: set[str] = set()
    for folder in BIN_DIRS:
        info = engine.files.stat_path(container, folder)
        real = (info or {}).get("linkTarget") or folder  # /bin → /usr/bin on usrmerge
        if info is None or real in seen:
            continue
        seen.add(real)
        for name, link in engine.files.list_dir(container, real) or []:
            yield f"{real.rstrip('/')}/{name}", link


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def attack_surface(engine: Engine, image_ref: str) -> AttackSurface:
    """What an intruder would find in the image; its filesystem is read, nothing is run."""
    if engine.images.inspect(image_ref) is None:
        raise ImageGoneError(
            f"image {image_ref} does not exist, so its attack surface cannot be read"
        )
    container = engine.containers.create_idle(
        image_ref, labels={RUN_LABEL: f"surface-{secrets.token_hex(4)}"}
    )
    try:
        packages: int | None = None
        db: str | None = "dpkg"
        if (status := engine.files.read_file(container, "/var/lib/dpkg/status")) is not None:
            packages = count_dpkg(status.decode("utf-8", "replace"))
        elif (parts := engine.files.list_dir(container, "/var/lib/dpkg/status.d")) is not None:
            packages = sum(1 for name, _ in parts if not name.endswith(".md5sums"))
        elif (apk := engine.files.read_file(container, "/lib/apk/db/installed")) is not None:
            db, packages = "apk", count_apk(apk.decode("utf-8", "replace"))
        else:
            db = None
        patterns = (SHELL, PACKAGE_MANAGER, PIP, COMPILER)
        found = {
            path
            for path, link in _bin_names(engine, container)
            if any(p.fullmatch(_name(path)) for p in patterns)
            # A symlink may dangle (an alternatives link whose target was removed).
            and (not link or engine.files.path_exists(container, path))
        }
    finally:
        engine.containers.remove(container)

    def has(pattern: re.Pattern[str]) -> bool:
        return any(pattern.fullmatch(_name(path)) for path in found)

    return AttackSurface(
        packages=packages,
        package_db=db,
        has_shell=has(SHELL),
        has_package_manager=has(PACKAGE_MANAGER),
        has_pip=has(PIP),
        has_compiler=has(COMPILER),
        found=tuple(sorted(found)),
    )
