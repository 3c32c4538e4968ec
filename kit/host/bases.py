"""Embedded base images, made offline from Debian's package mirror.

Docker Hub is not reachable everywhere, so the ``local`` profile builds on bases the kit makes
itself: a debootstrap minbase root imported as ``kitbase/debian:12``, and Dockerfiles under
``dockerfiles/bases/`` on top of it for the rest.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kit.config import dockerfiles_dir, settings, state_dir
from kit.engine import Engine
from kit.errors import BasesError, EngineError
from kit.host.apt import apt_install
from kit.spec.dockerfile import Dockerfile

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")
ROOTFS_RECIPE = f"debootstrap --variant=minbase {SUITE}; apt caches removed; v3"


def host_trust_anchors() -> list[Path]:
    """The host's locally added CA certificates (Debian's place for them).

    Behind a TLS-inspecting proxy, npm and pip inside a build only work when they trust the same
    CA as the host. The root image carries these files; ``ca-certificates`` adds them to the
    system bundle when a base installs it. ``KIT_HOST_CA=0`` leaves them out.
    """
    if not settings().host_ca:
        return []
    return sorted(LOCAL_CA_DIR.glob("**/*.crt"))


@dataclass(frozen=True)
class BaseSpec:
    ref: str
    description: str
    dockerfile: str | None = None  # under dockerfiles/bases; None: the debootstrap root

    def recipe(self) -> str:
        """A digest of how this base is made, its parents' recipes included."""
        if self.dockerfile is None:
            digest = hashlib.sha256(ROOTFS_RECIPE.encode())
            for cert in host_trust_anchors():
                digest.update(cert.read_bytes())
            return digest.hexdigest()
        text = (dockerfiles_dir() / "bases" / self.dockerfile).read_text()
        digest = hashlib.sha256(text.encode())
        for parent in Dockerfile.parse(text).base_images({}):
            digest.update(by_ref(parent).recipe().encode())
        return digest.hexdigest()


#: In dependency order: each base only builds on bases listed before it.
BASES: tuple[BaseSpec, ...] = (
    BaseSpec("kitbase/debian:12", "debootstrap minbase, imported"),
    BaseSpec(
        "kitbase/debian:12-slim", "minbase without docs, man, locales", "debian-12-slim.Dockerfile"
    ),
    BaseSpec("kitbase/busybox:1", "busybox-static on scratch", "busybox-1.Dockerfile"),
    BaseSpec(
        "kitbase/node:18-full", "node, npm, compilers, git, python3", "node-18-full.Dockerfile"
    ),
    BaseSpec("kitbase/node:18-slim", "node and npm, no recommends", "node-18-slim.Dockerfile"),
    BaseSpec("kitbase/node:18-runtime", "node runtime alone, no npm", "node-18-runtime.Dockerfile"),
    BaseSpec(
        "kitbase/python:3.11-full",
        "python3, pip, venv, headers, compilers",
        "python-3.11-full.Dockerfile",
    ),
    BaseSpec(
        "kitbase/python:3.11-slim", "python3 and venv, no recommends", "python-3.11-slim.Dockerfile"
    ),
    BaseSpec(
        "kitbase/python:3.11-runtime",
        "python interpreter and stdlib alone",
        "python-3.11-runtime.Dockerfile",
    ),
)


def by_ref(ref: str) -> BaseSpec:
    for spec in BASES:
        if spec.ref == ref:
            return spec
    raise BasesError(f"{ref} is not one of the kit's bases")


@dataclass(frozen=True)
class BaseOutcome:
    ref: str
    action: str  # "built" | "present"
    seconds: float
    size_bytes: int


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


def _import_root(engine: Engine, spec: BaseSpec) -> None:
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
        anchors = root / LOCAL_CA_DIR.relative_to("/") / "kit-host"
        anchors.mkdir(parents=True, exist_ok=True)
        for cert in host_trust_anchors():
            shutil.copyfile(cert, anchors / cert.name)
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
                spec.ref,
                changes=[
                    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    'CMD ["bash"]',
                    # Labels are inherited by every image built on a base, so none may say
                    # "managed by the kit": that would put users' own images in its cleanup.
                    f"LABEL kit.recipe={spec.recipe()}",
                ],
            )
        finally:
            tar.stdout.close()
            tar.wait()


def _build_base(engine: Engine, spec: BaseSpec, on_line: Callable[[str], None] | None) -> None:
    assert spec.dockerfile is not None
    before = engine.images.ids()
    try:
        outcome = engine.builds.build(
            str(dockerfiles_dir() / "bases"),
            spec.dockerfile,
            tag=spec.ref,
            buildargs={},
            labels={"kit.recipe": spec.recipe()},
            nocache=True,
            managed=False,
            on_line=on_line,
        )
    finally:
        # Earlier stages (trim, get) stay behind as untagged images; nothing needs them.
        engine.images.remove_dangling_since(before)
    if outcome.image_id is None:
        raise BasesError(
            f"building {spec.ref} failed: {outcome.error}",
            file=dockerfiles_dir() / "bases" / spec.dockerfile,
            log_tail=outcome.log_tail,
        )


def ensure_bases(
    engine: Engine,
    *,
    rebuild: bool = False,
    only: tuple[str, ...] = (),
    on_start: Callable[[BaseSpec], None] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> list[BaseOutcome]:
    """Make every missing (or outdated) base; skip those already present with the same recipe."""
    unknown = set(only) - {b.ref for b in BASES}
    if unknown:
        raise BasesError(f"unknown base(s): {', '.join(sorted(unknown))}")
    outcomes = []
    for spec in BASES:
        if only and spec.ref not in only:
            continue
        existing = engine.images.inspect(spec.ref)
        if existing and not rebuild and existing.labels.get("kit.recipe") == spec.recipe():
            outcomes.append(BaseOutcome(spec.ref, "present", 0.0, existing.size))
            continue
        if on_start:
            on_start(spec)
        started = time.perf_counter()
        if spec.dockerfile is None:
            _import_root(engine, spec)
        else:
            _build_base(engine, spec, on_line)
        made = engine.images.inspect(spec.ref)
        assert made is not None
        if existing and existing.id != made.id:
            # The replaced base is now untagged; it goes unless something still uses it.
            engine.images.remove(existing.id)
        outcomes.append(BaseOutcome(spec.ref, "built", time.perf_counter() - started, made.size))
    return outcomes
