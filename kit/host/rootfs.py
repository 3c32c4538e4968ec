"""The root of the embedded bases: a Debian minbase made with debootstrap from the host's own
Debian mirror, and ``docker import``ed (no registry needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from kit.config import state_dir
from kit.engine import Engine
from kit.errors import BasesError, EngineError
from kit.host.apt import apt_install

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
#: Where Debian keeps locally added CA certificates (the root image carries the host's).
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")


def debian_mirror(sources_dir: Path = Path("/etc/apt")) -> str:
    """The Debian mirror the host's apt already uses (deb822 or one-line format)."""
    candidates = sorted((sources_dir / "sources.list.d").glob("*.sources"))
    for path in candidates:
        m = re.search(r"^URIs:\s*(\S+/debian)/?\s*$", path.read_text(), re.MULTILINE)
        if m:
            return m.group(1)
    legacy = sources_dir / "sources.list"
    if legacy.exists():
        m = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s", legacy.read_text(), re.MULTILINE)
        if m:
            return m.group(1)
    return DEFAULT_MIRROR


def import_root(engine: Engine, ref: str, *, anchors: Iterable[Path], recipe: str) -> None:
    """debootstrap a minbase root, add the host's CA ``anchors``, import it as ``ref``."""
    if shutil.which("debootstrap") is None:
        try:
            apt_install("debootstrap")
        except EngineError as exc:
            raise BasesError(str(exc.message), hint="install debootstrap") from exc
    log = state_dir() / "debootstrap.log"
    with tempfile.TemporaryDirectory(prefix="kit-rootfs-") as tmp:
        root = Path(tmp) / "root"
        with log.open("wb") as out:
            done = subprocess.run(
                ["debootstrap", "--variant=minbase", SUITE, str(root), debian_mirror()],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if done.returncode:
            tail = log.read_text(errors="replace").splitlines()[-15:]
            raise BasesError(f"debootstrap failed ({done.returncode})", file=log, log_tail=tail)
        kept = root / LOCAL_CA_DIR.relative_to("/") / "kit-host"
        kept.mkdir(parents=True, exist_ok=True)
        for cert in anchors:
            shutil.copyfile(cert, kept / cert.name)
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (root / junk).glob("*"):
                if item.is_file():
                    item.unlink()
        tar = subprocess.Popen(
            ["tar", "--numeric-owner", "-C", str(root), "-c", "."], stdout=subprocess.PIPE
        )
        assert tar.stdout is not None
        try:
            engine.images.import_rootfs(
                tar.stdout,
                ref,
                changes=[
                    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    'CMD ["bash"]',
                    # Labels are inherited by every image built on a base, so none may say
                    # "managed by the kit": that would put users' own images in its cleanup.
                    f"LABEL kit.recipe={recipe}",
                ],
            )
        finally:
            tar.stdout.close()
            tar.wait()
