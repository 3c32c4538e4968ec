"""Embedded base images, made offline from Debian's package mirror.

Docker Hub is not reachable everywhere, so the ``local`` profile builds on bases the kit makes
itself: a debootstrap minbase root imported as ``kitbase/debian:12``, and Dockerfiles under
``dockerfiles/bases/`` on top of it for the rest.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kit.config import dockerfiles_dir, settings
from kit.engine import Engine
from kit.errors import BasesError
from kit.host import rootfs, tags
from kit.host.rootfs import LOCAL_CA_DIR, SUITE
from kit.inputs.dockerfile import Dockerfile
from kit.util.locks import engine_lock

#: Bases built at once by default (a 2-core machine: apt downloads overlap with unpacking).
JOBS = 2

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
    #: Other files of dockerfiles/bases the Dockerfile copies in (part of the recipe).
    files: tuple[str, ...] = ()
    #: The official images this base stands in for (``kit bases --as-official`` tags them).
    official: tuple[str, ...] = ()

    def parents(self) -> tuple[str, ...]:
        """The bases this one is built on (its Dockerfile's ``FROM`` lines)."""
        if self.dockerfile is None:
            return ()
        text = (dockerfiles_dir() / "bases" / self.dockerfile).read_text()
        return tuple(Dockerfile.parse(text).base_images({}))

    def recipe(self) -> str:
        """A digest of how this base is made, its parents' recipes included."""
        if self.dockerfile is None:
            digest = hashlib.sha256(ROOTFS_RECIPE.encode())
            for cert in host_trust_anchors():
                digest.update(cert.read_bytes())
            return digest.hexdigest()
        folder = dockerfiles_dir() / "bases"
        digest = hashlib.sha256((folder / self.dockerfile).read_text().encode())
        for name in self.files:
            digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
        for parent in self.parents():
            digest.update(by_ref(parent).recipe().encode())
        return digest.hexdigest()


_NODE_FILES = ("node-entrypoint.sh",)
_RUNTIME_FILES = ("runtime-rootfs.sh",)
_DISTROLESS = "gcr.io/distroless"

#: In dependency order: each base only builds on bases listed before it.
BASES: tuple[BaseSpec, ...] = (
    BaseSpec(
        "kitbase/debian:12",
        "debootstrap minbase, imported",
        official=("debian:12", "debian:bookworm"),
    ),
    BaseSpec(
        "kitbase/debian:12-slim",
        "minbase without docs, man, locales",
        "debian-12-slim.Dockerfile",
        official=("debian:12-slim", "debian:bookworm-slim"),
    ),
    BaseSpec(
        "kitbase/busybox:1",
        "busybox-static on scratch",
        "busybox-1.Dockerfile",
        official=("busybox:latest", "busybox:1"),
    ),
    BaseSpec(
        "kitbase/node:18-full",
        "node, npm, compilers, git, python3; node user",
        "node-18-full.Dockerfile",
        _NODE_FILES,
        ("node:18", "node:18-bookworm"),
    ),
    BaseSpec(
        "kitbase/node:18-slim",
        "node and npm, no recommends; node user",
        "node-18-slim.Dockerfile",
        _NODE_FILES,
        ("node:18-slim", "node:18-bookworm-slim"),
    ),
    BaseSpec(
        "kitbase/node:18-runtime",
        "distroless-style: node and its libraries, no shell",
        "node-18-runtime.Dockerfile",
        _RUNTIME_FILES,
        (f"{_DISTROLESS}/nodejs18-debian12:latest",),
    ),
    BaseSpec(
        "kitbase/node:18-runtime-nonroot",
        "node:18-runtime as uid 65532",
        "node-18-runtime-nonroot.Dockerfile",
        official=(f"{_DISTROLESS}/nodejs18-debian12:nonroot",),
    ),
    BaseSpec(
        "kitbase/python:3.11-full",
        "python, pip, venv, headers, compilers",
        "python-3.11-full.Dockerfile",
        official=("python:3.11", "python:3.11-bookworm"),
    ),
    BaseSpec(
        "kitbase/python:3.11-slim",
        "python, pip and venv, no recommends",
        "python-3.11-slim.Dockerfile",
        official=("python:3.11-slim", "python:3.11-slim-bookworm"),
    ),
    BaseSpec(
        "kitbase/python:3.11-runtime",
        "distroless-style: the interpreter and stdlib, no shell",
        "python-3.11-runtime.Dockerfile",
        _RUNTIME_FILES,
        (f"{_DISTROLESS}/python3-debian12:latest",),
    ),
    BaseSpec(
        "kitbase/python:3.11-runtime-nonroot",
        "python:3.11-runtime as uid 65532",
        "python-3.11-runtime-nonroot.Dockerfile",
        official=(f"{_DISTROLESS}/python3-debian12:nonroot",),
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


def _build_base(engine: Engine, spec: BaseSpec, on_line: Callable[[str], None] | None) -> None:
    assert spec.dockerfile is not None
    outcome = engine.builds.build(
        str(dockerfiles_dir() / "bases"),
        str(spec.dockerfile),
        tag=spec.ref,
        buildargs={},
        labels={"kit.recipe": spec.recipe()},
        nocache=True,
        managed=False,
        on_line=on_line,
    )
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
    jobs: int = JOBS,
) -> list[BaseOutcome]:
    """Make every missing (or outdated) base; skip those already present with the same recipe.

    Up to ``jobs`` bases build at once, each as soon as the bases it is built on are made: most
    of a base's time is apt downloading and unpacking, which overlaps well on two cores.
    """
    unknown = set(only) - {b.ref for b in BASES}
    if unknown:
        raise BasesError(f"unknown base(s): {', '.join(sorted(unknown))}")
    wanted = [spec for spec in BASES if not only or spec.ref in only]
    present: dict[str, BaseOutcome] = {}
    todo: list[BaseSpec] = []
    for spec in wanted:
        existing = engine.images.inspect(spec.ref)
        if existing and not rebuild and existing.labels.get("kit.recipe") == spec.recipe():
            present[spec.ref] = BaseOutcome(spec.ref, "present", 0.0, existing.size)
        else:
            todo.append(spec)
    built = _make(engine, todo, on_start, on_line, max(1, jobs)) if todo else {}
    return [present.get(spec.ref) or built[spec.ref] for spec in wanted]


def _make_one(
    engine: Engine,
    spec: BaseSpec,
    on_start: Callable[[BaseSpec], None] | None,
    on_line: Callable[[str], None] | None,
) -> BaseOutcome:
    existing = engine.images.inspect(spec.ref)
    if on_start:
        on_start(spec)
    started = time.perf_counter()
    if spec.dockerfile is None:
        rootfs.import_root(engine, spec.ref, anchors=host_trust_anchors(), recipe=spec.recipe())
    else:
        _build_base(engine, spec, on_line)
    made = engine.images.inspect(spec.ref)
    assert made is not None
    if existing and existing.id != made.id:
        # The official names the kit gave the old build follow the base; then the old
        # build is untagged, and goes unless something still uses it.
        tags.follow(engine, existing.id, made.id)
        engine.images.remove(existing.id)
    return BaseOutcome(spec.ref, "built", time.perf_counter() - started, made.size)


def _make(
    engine: Engine,
    todo: list[BaseSpec],
    on_start: Callable[[BaseSpec], None] | None,
    on_line: Callable[[str], None] | None,
    jobs: int,
) -> dict[str, BaseOutcome]:
    """Build ``todo`` (in dependency order), each once the bases it needs are done; the first
    failure lets the running builds finish, starts no other, and is raised."""
    waiting = {spec.ref: set(spec.parents()) & {t.ref for t in todo} for spec in todo}
    specs = {spec.ref: spec for spec in todo}
    done: dict[str, BaseOutcome] = {}
    failure: BaseException | None = None
    # Under the engine's lock, as every timed step, and one cleanup at the end: the untagged
    # images new since ``before`` (earlier stages such as trim and get) are these builds' alone,
    # and a build running beside another still needs its own stages.
    info = engine.info()
    with engine_lock(info.daemon_id or info.host):
        before = engine.images.ids()
        ended: queue.Queue[tuple[str, BaseOutcome | BaseException]] = queue.Queue()

        def run(ref: str) -> None:
            try:
                ended.put((ref, _make_one(engine, specs[ref], on_start, on_line)))
            except BaseException as exc:  # handed to the waiting thread, raised there
                ended.put((ref, exc))

        running: set[str] = set()
        try:
            while waiting or running:
                ready = [r for r, need in waiting.items() if not need and failure is None]
                for ref in ready[: jobs - len(running)]:
                    del waiting[ref]
                    running.add(ref)
                    # Daemon threads: Ctrl-C ends the command at once, and a build whose
                    # connection closes with it is cancelled by the engine.
                    threading.Thread(target=run, args=(ref,), daemon=True).start()
                if not running:
                    break  # a failure left the rest waiting on it
                ref, result = ended.get()
                running.discard(ref)
                if isinstance(result, BaseException):
                    failure = failure or result
                    continue
                done[ref] = result
                for need in waiting.values():
                    need.discard(ref)
        finally:
            engine.images.remove_dangling_since(before)
    if failure is not None:
        raise failure
    return done
