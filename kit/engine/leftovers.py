"""What a kit process leaves on an engine when it, or the engine, dies mid-work, and how a later
process finds and removes it.

While the engine answers, the kit removes what it created on every path (Ctrl-C included). When
the engine dies under it, nothing can be removed then, and after the engine comes back its
containers are stopped but still there, a classic build's step container and step images too.
Two records let the next kit process on that engine clean up:

- every container the kit creates carries ``kit.owner=<boot id>:<pid>:<start time>``: the process
  that made it, on this host and boot. A container whose owner is gone is a leftover.
- a journal (``$KIT_STATE_DIR/inflight/<daemon id>/<owner>-<n>.jsonl``) lists, one JSON line
  each, the objects a piece of work made that carry no label of the kit's: a build's step
  containers and step images (from its log), the registry tags of a push; and, when the engine
  vanished, the BuildKit step roots its dead builds left mounted (:mod:`kit.engine.orphans`).
  The journal is deleted when the work ends with the engine still answering; it stays when the
  engine vanished or the process was killed.

:meth:`Leftovers.sweep` (run when an experiment starts) removes the containers of dead owners
and what the journals of dead owners list: step images only while they are untagged (a removal
never forced, so an image that became a parent of another stays), tags only by name. Owners on
another host or boot are never judged: their containers are left alone.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import docker.errors

from kit.config import state_dir
from kit.engine.orphans import executor_mounts, release
from kit.engine.session import Session
from kit.errors import EngineGoneError
from kit.util.pids import live_stat

OWNER_LABEL = "kit.owner"
PROC = Path("/proc")
_STEP_CONTAINER = re.compile(r"\s*---> Running in ([0-9a-f]{12,64})\s*$")
_STEP_IMAGE = re.compile(r"\s*---> ([0-9a-f]{12,64})\s*$")
_ENDED = "ended"
_counter = itertools.count()


def _boot_id(proc: Path = PROC) -> str:
    try:
        return (proc / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown-boot"


def _start_time(pid: int, proc: Path = PROC) -> str | None:
    """Field 22 of /proc/PID/stat (clock ticks since boot): with the pid, a process's identity."""
    # A zombie has finished, whatever it still holds: no start time, so no owner.
    fields = live_stat(pid, proc)
    if fields is None or len(fields) < 20:
        return None
    return fields[19]


def owner(pid: int | None = None, proc: Path = PROC) -> str:
    """``<boot id>:<pid>:<start time>`` of this process (or ``pid``)."""
    pid = os.getpid() if pid is None else pid
    return f"{_boot_id(proc)}:{pid}:{_start_time(pid, proc) or '?'}"


def owner_gone(value: str, proc: Path = PROC) -> bool:
    """Whether the owner ``value`` names has ended: same host and boot, and its pid is gone, a
    zombie, or another process by now. An owner from elsewhere is never judged gone."""
    boot, _, rest = value.partition(":")
    pid, _, started = rest.partition(":")
    if boot != _boot_id(proc) or not pid.isdigit():
        return False
    return _start_time(int(pid), proc) != started


@dataclass(frozen=True)
class Swept:
    containers: int = 0
    images: int = 0
    tags: int = 0
    mounts: int = 0

    def __bool__(self) -> bool:
        return bool(self.containers or self.images or self.tags or self.mounts)


class Journal:
    """The objects one piece of work made on the engine, written as they are made."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, kind: str, ref: str) -> None:
        # Best effort: a journal that cannot be written (a full disk) must not fail the work.
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as out:
                out.write(json.dumps({"kind": kind, "ref": ref}) + "\n")

    def entries(self) -> list[tuple[str, str]]:
        try:
            lines = self.path.read_text().splitlines()
        except OSError:
            return []
        found = []
        for line in lines:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                doc = json.loads(line)
                found.append((str(doc["kind"]), str(doc["ref"])))
        return found


_current: ContextVar[Journal | None] = ContextVar("kit_journal", default=None)


def note(kind: str, ref: str) -> None:
    """Add to the open journal, if any (``container``, ``image``, ``refs``)."""
    if (journal := _current.get()) is not None:
        journal.record(kind, ref)


def watch_build(on_line: Callable[[str], None] | None) -> Callable[[str], None]:
    """An ``on_line`` for a classic build that notes its step containers and step images."""

    def seen(line: str) -> None:
        if found := _STEP_CONTAINER.match(line):
            note("container", found.group(1))
        elif found := _STEP_IMAGE.match(line):
            note("image", found.group(1))
        if on_line is not None:
            on_line(line)

    return seen


class Leftovers:
    """The journals of one engine (named by its daemon id) and the sweep of dead owners."""

    def __init__(
        self, session: Session, daemon_id: Callable[[], str], root_dir: Callable[[], str]
    ) -> None:
        self._s = session
        self._daemon_id = daemon_id
        self._root_dir = root_dir

    def _folder(self) -> Path:
        daemon = re.sub(r"[^A-Za-z0-9_.-]+", "-", self._daemon_id() or "unknown")
        return state_dir() / "inflight" / daemon

    @contextlib.contextmanager
    def journal(self) -> Iterator[Journal]:
        """Open a journal for one piece of work (or join the one already open)."""
        if (outer := _current.get()) is not None:
            yield outer
            return
        kept = Journal(self._folder() / f"{owner().replace(':', '_')}-{next(_counter)}.jsonl")
        token = _current.set(kept)
        try:
            yield kept
        except EngineGoneError:
            # Every BuildKit step root still mounted under the dead engine's data root is one
            # of its builds' (a live engine unmounts its own): this run's, or a neighbour's.
            with contextlib.suppress(Exception):
                for mount in executor_mounts(self._root_dir()):
                    kept.record("mount", mount)
            if kept.path.exists():
                kept.record(_ENDED, "the engine stopped answering")
            raise
        except BaseException:
            kept.path.unlink(missing_ok=True)
            raise
        finally:
            _current.reset(token)
        kept.path.unlink(missing_ok=True)

    def sweep(self) -> Swept:
        """Remove what dead kit processes on this host left on this engine."""
        containers = 0
        found = self._s.call(self._s.api.containers, all=True, filters={"label": OWNER_LABEL})
        for c in found:
            if owner_gone(str((c.get("Labels") or {}).get(OWNER_LABEL, ""))):
                containers += self._remove_container(str(c["Id"]))
        images = tags = mounts = 0
        folder = self._folder()
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
            entries = Journal(path).entries()
            ended = bool(entries) and entries[-1][0] == _ENDED
            if not ended and not owner_gone(path.name.rpartition("-")[0].replace("_", ":")):
                continue  # work still in progress
            for kind, ref in reversed(entries):  # step containers before the images they use
                if kind == "container":
                    containers += self._remove_container(ref)
                elif kind == "refs":
                    image, _, prefix = ref.partition("|")
                    tags += self._drop_refs(image, prefix)
                elif kind == "mount":
                    mounts += release(ref)
            for kind, ref in reversed(entries):  # newest step first: children before parents
                if kind == "image":
                    images += self._remove_untagged(ref)
            path.unlink(missing_ok=True)
        return Swept(containers, images, tags, mounts)

    def _remove_container(self, ref: str) -> int:
        try:
            self._s.call(self._s.api.remove_container, ref, force=True, v=True)
        except docker.errors.APIError:
            return 0
        return 1

    def _drop_refs(self, image_id: str, prefix: str) -> int:
        """Untag every reference of ``image_id`` under ``prefix`` (a registry's host/), never
        the image itself: its last reference is kept whatever it is."""
        try:
            doc = self._s.call(self._s.api.inspect_image, image_id)
        except docker.errors.APIError:
            return 0
        refs = [*(doc.get("RepoTags") or ()), *(doc.get("RepoDigests") or ())]
        mine = [r for r in refs if prefix and r.startswith(prefix)]
        dropped = 0
        for ref in mine[: len(mine) if len(refs) > len(mine) else len(mine) - 1]:
            try:
                self._s.call(self._s.api.remove_image, ref, noprune=True)
                dropped += 1
            except docker.errors.APIError:
                continue
        return dropped

    def _remove_untagged(self, ref: str) -> int:
        try:
            image = self._s.call(self._s.api.inspect_image, ref)
            if [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]:
                return 0
            self._s.call(self._s.api.remove_image, image["Id"], noprune=False)
        except docker.errors.APIError:
            return 0  # gone already, or a parent of another image by now
        return 1
