"""The four things every fault test asserts, as one helper:

1. a clear outcome naming the cause: a ``KitError`` of the expected class, a failed row of it,
   or the command's exit code and message;
2. nothing left: no container or image the fault made (an untagged image no tagged image keeps,
   a reference in a registry's name), no ``kit-*`` temp dir, no new mount, no extra process;
3. the store loads with every earlier run exactly as it was (a run the fault damaged on purpose
   is named, and must be in quarantine, unchanged);
4. a rerun succeeds — and leaves nothing, and the store still holds every earlier run.

After a fault that kills the engine, nothing can be removed until it is back: then the rerun is
what removes it (``kit.engine.leftovers``), and (2) is checked after it only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.engine import Engine
from kit.errors import KitError
from kit.model.results import Results
from kit.model.rows import ImageResult
from kit.model.store import Store
from kit.util.pids import live_stat

SETTLE_S = 10.0  # a process the kit ended may take a moment to be reaped


def descendants(root: int) -> set[int]:
    """Live (not zombie) processes below ``root``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = live_stat(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _mounts() -> set[str]:
    return {line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()}


def _kit_temp() -> set[str]:
    """The kit's temp dirs (``kit-*``) in this test's own temp folder (see ``private_tmp``)."""
    return {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("kit-")}


@dataclass
class Raised:
    """The fault raised ``error``: a KitError of ``kind`` whose text names every needle."""

    error: BaseException | None
    kind: str
    needles: Sequence[str] = ()


@dataclass
class FailedRow:
    """The run completed with ``variant`` failed as ``kind``, naming every needle."""

    results: Results
    variant: str
    kind: str
    needles: Sequence[str] = ()


@dataclass
class FailedPart:
    """A row of another table (``distribution``, ``rebuild``) failed, naming every needle."""

    table: str
    status: str
    error: str | None
    needles: Sequence[str] = ()


@dataclass
class Exited:
    """A command ended with ``code`` and said every needle."""

    code: int
    expected: int
    said: str
    needles: Sequence[str] = ()


@dataclass
class Snapshot:
    containers: set[str]
    images: set[str]
    refs: set[str]
    temp: set[str]
    mounts: set[str]
    processes: set[int]
    runs: dict[str, Results] = field(default_factory=dict)


class FourWay:
    """Snapshot before the fault (:meth:`before`), then :meth:`check` after it."""

    def __init__(self, engine: Engine, store: Path, *, ignore: Sequence[str] = ()) -> None:
        self.engine = engine  # replace after restarting a throwaway engine
        self.store = store
        #: Paths whose processes are not the kit's (a throwaway engine's root: its dockerd,
        #: containerd and shims).
        self.ignore = list(ignore)
        self.snap: Snapshot | None = None

    # -- the snapshot ------------------------------------------------------------------------
    def _objects(self) -> tuple[set[str], set[str], set[str]]:
        api = self.engine.api
        containers = {str(c["Id"]) for c in api.containers(all=True)}
        images, refs = set(), set()
        for img in api.images(all=True):
            images.add(str(img["Id"]))
            refs |= {r for r in img.get("RepoTags") or [] if r != "<none>:<none>"}
            refs |= set(img.get("RepoDigests") or [])
        return containers, images, refs

    def _processes(self) -> set[int]:
        mine = descendants(os.getpid())
        return {p for p in mine if not any(path in _cmdline(p) for path in self.ignore)}

    def _mounts(self) -> set[str]:
        """Mounts under this engine's data root (a container's filesystem) or the kit's temp
        folder; other engines on this machine are other developers'."""
        roots = (str(self.engine.api.info()["DockerRootDir"]), tempfile.gettempdir())
        return {m for m in _mounts() if m.startswith(roots)}

    def before(self) -> None:
        containers, images, refs = self._objects()
        store = Store(self.store)
        runs = {r.part: store.results(run_id=r.run.run_id, app=r.app) for r in store.runs()}
        assert runs, "a fault test starts from a store that holds earlier runs"
        self.snap = Snapshot(
            containers, images, refs, _kit_temp(), self._mounts(), self._processes(), runs
        )

    # -- the four checks ---------------------------------------------------------------------
    @staticmethod
    def cause(outcome: Raised | FailedRow | FailedPart | Exited) -> None:
        if isinstance(outcome, Raised):
            error = outcome.error
            assert isinstance(error, KitError), f"not a KitError: {error!r}"
            assert error.kind == outcome.kind, f"{error.kind}: {error}"
            text = str(error)
        elif isinstance(outcome, FailedRow):
            row: ImageResult = next(
                r for r in outcome.results.image_rows if r.variant == outcome.variant
            )
            assert row.status == "failed" and row.error_type == outcome.kind, (
                f"{row.variant}: {row.status} {row.error_type}: {row.error}"
            )
            text = str(row.error)
        elif isinstance(outcome, FailedPart):
            assert outcome.status == "failed", f"{outcome.table}: {outcome.status}"
            text = str(outcome.error)
        else:
            assert outcome.code == outcome.expected, f"exit {outcome.code}: {outcome.said}"
            text = outcome.said
        for needle in outcome.needles:
            assert needle in text, f"{needle!r} not in {text!r}"

    def _leftovers(self) -> list[str]:
        assert self.snap is not None
        api = self.engine.api
        containers, images, refs = self._objects()
        found = [f"container {c[:12]}" for c in containers - self.snap.containers]
        tagged = [i for i in api.images(all=True) if i["Id"] not in self.snap.images]
        keep: set[str] = set()
        for img in tagged:  # a new tagged image keeps its step images (its parents)
            if [t for t in img.get("RepoTags") or [] if t != "<none>:<none>"]:
                parent: str | None = str(img["Id"])
                while parent and parent not in keep:
                    keep.add(parent)
                    parent = api.inspect_image(parent).get("Parent") or None
        found += [f"image {i[:19]}" for i in images - self.snap.images - keep]
        found += [f"reference {r}" for r in refs - self.snap.refs if r.startswith("127.0.0.1:")]
        found += [f"temp dir /tmp/{t}" for t in _kit_temp() - self.snap.temp]
        found += [f"mount {m}" for m in self._mounts() - self.snap.mounts]
        found += [
            f"process {p}: {_cmdline(p)[:120]}" for p in self._processes() - self.snap.processes
        ]
        return found

    def nothing_left(self) -> None:
        deadline = time.monotonic() + SETTLE_S
        while (left := self._leftovers()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not left, f"left behind: {left}"

    def store_intact(self, damaged: Sequence[str] = ()) -> None:
        """Every earlier run loads exactly as before; ``damaged`` ones are in quarantine."""
        assert self.snap is not None
        store = Store(self.store)
        parts = {r.part for r in store.runs()}
        for part, earlier in self.snap.runs.items():
            if part in damaged:
                assert part not in parts, f"the damaged run {part} still loads"
                assert (self.store / "quarantine" / part).is_dir(), f"{part} not in quarantine"
                continue
            assert part in parts, f"the earlier run {part} is gone from the store"
            again = store.results(run_id=earlier.run.run_id, app=earlier.app)
            assert again == earlier, f"the earlier run {part} changed"

    def check(
        self,
        outcome: Raised | FailedRow | FailedPart | Exited,
        rerun: Callable[[], Any],
        *,
        ok: Callable[[Any], bool] = lambda done: done == 0 or isinstance(done, Results),
        engine_died: bool = False,
        damaged: Sequence[str] = (),
    ) -> Any:
        """The four checks; returns what the rerun returned."""
        self.cause(outcome)
        if not engine_died:
            self.nothing_left()
        self.store_intact(damaged)
        done = rerun()
        assert ok(done), f"the rerun did not succeed: {done!r}"
        if isinstance(done, Results):
            assert not done.failed, [(r.variant, r.error) for r in done.failed]
        self.nothing_left()
        self.store_intact(damaged)
        return done


def copy_app(source: Path, into: Path, toml_extra: str = "") -> Path:
    """A copy of a fixture app (same directory name, so the same image tags) to change."""
    target = into / source.name
    shutil.copytree(source, target, symlinks=True)
    if toml_extra:
        with (target / "experiment.toml").open("a") as toml:
            toml.write("\n" + toml_extra)
    return target
