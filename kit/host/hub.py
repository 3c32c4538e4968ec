"""A Docker Hub stand-in, so the ``hub`` and ``auto`` profiles run here as on a connected machine.

The kit's local registry (Debian's docker-registry on 127.0.0.1) is seeded with the embedded
bases under the official repository names (``library/node:18-slim`` …), and an extra dockerd
(:mod:`kit.host.extra_engine`) is started with ``--registry-mirror`` pointing at it: on that
engine ``FROM node:18-slim`` is pulled, by digest, through the mirror, and the ``auto`` profile
finds "the Hub". The engine the user already runs keeps its own configuration; there, ``kit
bases --as-official`` is the offline route.

:func:`hub_standin` runs one for a ``with`` block (tests, a later "fresh host"); ``start`` /
``stop`` / ``running`` keep one up between commands (``kit engine up --hub``).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from kit.config import state_dir
from kit.engine import Engine
from kit.errors import RegistryError, UsageError
from kit.host.bases import BaseSpec
from kit.host.extra_engine import ExtraEngine, extra_engine
from kit.host.official import DOCKER_HUB, mapping, registry_of
from kit.host.procs import end_processes_using, processes_using
from kit.host.registry import Registry, find_binary, local_registry, pick_port
from kit.host.tags import split

#: What ``hub_answers`` asks the Hub for: always seeded, so ``auto`` resolves to ``hub``.
PROBE = "busybox:latest"
REGISTRY_PORT = 5000


@dataclass(frozen=True)
class Seeded:
    """One official name pushed into the stand-in."""

    name: str
    base: str
    digest: str  # the manifest digest the registry serves
    compressed_bytes: int  # config + layers, as a pull downloads them
    push_s: float


@dataclass(frozen=True)
class Pulled:
    name: str
    digest: str | None
    seconds: float


def hub_names(names: Iterable[str] | None = None) -> list[tuple[str, BaseSpec]]:
    """The Docker Hub names among the official ones (only ``names`` if given, plus the probe)."""
    hub = [(n, spec) for n, spec in mapping() if registry_of(n) == DOCKER_HUB]
    if names is None:
        return hub
    wanted = {_with_tag(n) for n in names} | {PROBE}
    unknown = wanted - {n for n, _ in hub}
    if unknown:
        raise UsageError(
            f"no embedded base stands in for {', '.join(sorted(unknown))}",
            hint="`kit bases --list` shows the names the kit can serve",
        )
    return [(n, spec) for n, spec in hub if n in wanted]


def _with_tag(name: str) -> str:
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def mirror_path(name: str) -> tuple[str, str]:
    """Where a Hub name lives in a registry: ``node:18`` → (``library/node``, ``18``)."""
    repository, tag = split(_with_tag(name))
    return (repository if "/" in repository else f"library/{repository}"), tag


def seed(
    source: Engine,
    registry: Registry,
    names: Iterable[str] | None = None,
    on_seed: Callable[[Seeded], None] | None = None,
) -> list[Seeded]:
    """Push the bases from ``source`` into ``registry`` under their official repository names."""
    done = []
    for name, spec in hub_names(names):
        if source.images.inspect(spec.ref) is None:
            raise RegistryError(
                f"{spec.ref} (for {name}) is not on the engine", hint="run `kit bases`"
            )
        repository, tag = mirror_path(name)
        target = f"{registry.host}/{repository}"
        source.images.tag(spec.ref, target, tag)
        started = time.perf_counter()
        try:
            source.transfers.push(target, tag)
        finally:
            source.images.untag(f"{target}:{tag}")
        seconds = time.perf_counter() - started
        manifest = registry.manifest(repository, tag)
        digest = manifest.tag_digest
        assert digest is not None, "the registry names every manifest's digest"
        seeded = Seeded(name, spec.ref, digest, manifest.total_bytes, seconds)
        done.append(seeded)
        if on_seed is not None:
            on_seed(seeded)
    return done


def pull(engine: Engine, name: str) -> Pulled:
    """Pull ``name`` as ``FROM`` would on that engine, timed; the digest the engine recorded."""
    repository, tag = split(_with_tag(name))
    started = time.perf_counter()
    log = engine.transfers.pull(repository, tag)
    return Pulled(name, log.digest, time.perf_counter() - started)


@dataclass(frozen=True)
class HubStandIn:
    registry: Registry
    engine: ExtraEngine
    seeded: tuple[Seeded, ...]

    @property
    def docker_host(self) -> str:
        return self.engine.docker_host

    def connect(self) -> Engine:
        return self.engine.connect()


@contextlib.contextmanager
def hub_standin(
    source: Engine,
    names: Iterable[str] | None = None,
    *,
    port: int | None = None,
    parent: Path | None = None,
) -> Iterator[HubStandIn]:
    """A seeded registry and an engine mirroring the Hub through it, for the ``with`` block;
    both are stopped and their directories removed however it ends."""
    with local_registry(port) as registry:
        seeded = seed(source, registry, names)
        with extra_engine((f"--registry-mirror={registry.url}",), parent=parent) as extra:
            yield HubStandIn(registry, extra, tuple(seeded))


# -- kept up between commands (kit engine up --hub / down --hub) ---------------------------------
def _home() -> Path:
    return state_dir() / "hub"


@dataclass(frozen=True)
class Running:
    docker_host: str
    registry: str
    seeded: tuple[str, ...]


def running() -> Running | None:
    """The stand-in ``start`` left up, if it is still there."""
    try:
        doc = json.loads((_home() / "state.json").read_text())
        found = Running(doc["docker_host"], doc["registry"], tuple(doc["seeded"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    engine_up = ExtraEngine.attach(_home() / "engine").pid is not None
    # A reboot or a kill takes either one away; half a stand-in is no stand-in.
    registry_up = bool(processes_using(_home() / "registry"))
    return found if engine_up and registry_up else None


def start(
    source: Engine,
    names: Iterable[str] | None = None,
    on_seed: Callable[[Seeded], None] | None = None,
) -> Running:
    """Start a registry and a mirroring engine that outlive this process; stop them with
    :func:`stop`. One at a time per state directory."""
    if running() is not None:
        raise UsageError("a Hub stand-in is already up", hint="`kit engine down --hub` first")
    stop()  # whatever a crashed start left behind
    home = _home()
    port = pick_port(REGISTRY_PORT)
    registry = Registry(f"127.0.0.1:{port}", workdir=home / "registry", port=port)
    extra = ExtraEngine(home / "engine", (f"--registry-mirror={registry.url}",))
    try:
        registry.start(find_binary())
        seeded = seed(source, registry, names, on_seed)
        extra.start()
        state = Running(extra.docker_host, registry.url, tuple(s.name for s in seeded))
        (home / "state.json").write_text(json.dumps(asdict(state), indent=1))
        return state
    except BaseException:
        extra.stop()
        registry.close()
        raise


def stop() -> bool:
    """Stop what :func:`start` left up and remove its directories; False when nothing was up."""
    home = _home()
    if not home.exists():
        return False
    ExtraEngine.attach(home / "engine").stop()
    # The registry serves a config under home: the process naming it is ours, and only it.
    end_processes_using(home)
    shutil.rmtree(home, ignore_errors=True)
    return True
