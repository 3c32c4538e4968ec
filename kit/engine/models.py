"""Typed models of what the engine returns. Callers read attributes, never the API's JSON keys:
the JSON is read here once, and its quirks (null lists, missing keys, ``-1`` for "not computed")
are settled here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def _frozen(value: Any) -> Mapping[str, str]:
    return MappingProxyType({str(k): str(v) for k, v in (value or {}).items()})


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class EngineInfo:
    """What every result row records about the engine that produced it."""

    version: str
    api_version: str
    storage_driver: str
    containerd_store: bool
    host: str
    #: The daemon's own id: what tells two engines apart when both are "unix://…" to the SDK.
    daemon_id: str = ""
    #: Its data root. dockerd 20.10 takes its id from /etc/docker/key.json, so engines started
    #: side by side on one host share an id; their data roots always differ.
    root_dir: str = ""
    #: The engine host's name (``docker info`` Name): this host's when the engine is local.
    name: str = ""


@dataclass(frozen=True)
class ImageInfo:
    """``docker image inspect``: the parts the kit reads."""

    id: str
    size: int  # the engine's ``Size`` (uncompressed; see ``EngineInfo.containerd_store``)
    layers: tuple[str, ...]  # ``RootFS.Layers``: the diff ids, bottom layer first
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=_empty)
    env: tuple[str, ...] = ()
    graph_driver: str = ""
    #: ``GraphDriver.Data``: on overlay2 ``LowerDir`` (":"-joined) and ``UpperDir``.
    graph_data: Mapping[str, str] = field(default_factory=_empty)
    #: TCP ports the image ``EXPOSE``s.
    exposed: tuple[int, ...] = ()

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> ImageInfo:
        config = doc.get("Config") or {}
        graph = doc.get("GraphDriver") or {}
        return cls(
            id=str(doc["Id"]),
            size=int(doc.get("Size") or 0),
            layers=tuple((doc.get("RootFS") or {}).get("Layers") or ()),
            repo_tags=tuple(t for t in doc.get("RepoTags") or () if t != "<none>:<none>"),
            repo_digests=tuple(doc.get("RepoDigests") or ()),
            labels=_frozen(config.get("Labels")),
            env=tuple(config.get("Env") or ()),
            graph_driver=str(graph.get("Name") or ""),
            graph_data=_frozen(graph.get("Data")),
            exposed=tuple(
                sorted(
                    int(port)
                    for key in config.get("ExposedPorts") or {}
                    for port, _, proto in [str(key).partition("/")]
                    if port.isdigit() and proto in ("", "tcp")
                )
            ),
        )

    def env_value(self, name: str) -> str | None:
        prefix = f"{name}="
        return next((e[len(prefix) :] for e in self.env if e.startswith(prefix)), None)


@dataclass(frozen=True)
class HistoryStep:
    """One entry of ``docker history``, newest first as the engine lists them."""

    created_by: str
    size: int  # 0 for a metadata-only step (ENV, CMD, LABEL …)
    comment: str = ""

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> HistoryStep:
        return cls(
            str(doc.get("CreatedBy") or ""),
            int(doc.get("Size") or 0),
            str(doc.get("Comment") or ""),
        )


@dataclass(frozen=True)
class ContainerInfo:
    """``docker container inspect``: its state, labels and filesystem folders."""

    id: str
    running: bool
    exited: bool  # it ran and stopped (a container never started has not exited)
    exit_code: int | None
    pid: int  # its init's pid on the engine's host; 0 when not running
    labels: Mapping[str, str] = field(default_factory=_empty)
    graph_data: Mapping[str, str] = field(default_factory=_empty)
    #: Container port → the engine host's port it is published on (127.0.0.1 only).
    published: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> ContainerInfo:
        state = doc.get("State") or {}
        # FinishedAt is "0001-01-01T00:00:00Z" until the container has stopped once.
        exited = not state.get("Running") and str(state.get("FinishedAt", "")).startswith("2")
        return cls(
            id=str(doc["Id"]),
            running=bool(state.get("Running")),
            exited=exited,
            exit_code=int(state.get("ExitCode", -1)) if exited else None,
            pid=int(state.get("Pid") or 0),
            labels=_frozen((doc.get("Config") or {}).get("Labels")),
            graph_data=_frozen((doc.get("GraphDriver") or {}).get("Data")),
            published=MappingProxyType(_published((doc.get("NetworkSettings") or {}).get("Ports"))),
        )


def _published(ports: Any) -> dict[int, int]:
    """``NetworkSettings.Ports`` ({"80/tcp": [{"HostIp": …, "HostPort": "49153"}]}), tcp only."""
    found = {}
    for key, bindings in (ports or {}).items():
        port, _, proto = str(key).partition("/")
        for binding in bindings or ():
            if proto in ("", "tcp") and str(binding.get("HostPort") or "").isdigit():
                found[int(port)] = int(binding["HostPort"])
                break
    return found


@dataclass(frozen=True)
class ImageUsage:
    """One image in ``docker system df -v``."""

    id: str
    size: int
    #: Bytes of its layers that another image also uses (0 when the engine did not compute it).
    shared_size: int


@dataclass(frozen=True)
class DiskUsage:
    images: tuple[ImageUsage, ...]
    layers_size: int  # every layer on the engine, counted once

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> DiskUsage:
        images = tuple(
            # SharedSize is -1 when the engine did not compute it (an old API's plain listing).
            ImageUsage(str(i["Id"]), int(i.get("Size") or 0), max(int(i.get("SharedSize") or 0), 0))
            for i in doc.get("Images") or ()
        )
        return cls(images, int(doc.get("LayersSize") or 0))

    def image(self, image_id: str) -> ImageUsage | None:
        return next((i for i in self.images if i.id == image_id), None)


@dataclass(frozen=True)
class BuildStep:
    """One step of a build as its log reports it: the instruction, whether it came from the
    cache, and its time (BuildKit's own figure; the classic builder's, from when its lines
    arrived). ``number`` is the classic builder's step number (None under BuildKit), ``stage``
    BuildKit's stage label (``build``, ``stage-2``; None under the classic builder)."""

    instruction: str  # as the log shows it, e.g. "RUN npm ci"
    cached: bool
    seconds: float | None = None
    number: int | None = None
    stage: str | None = None

    @property
    def keyword(self) -> str:
        return self.instruction.split(" ", 1)[0].upper()


@dataclass(frozen=True)
class BuildRequest:
    """One build as asked, whichever builder runs it: the context directory, the Dockerfile
    (relative to it), the tag, build args, labels, ``--no-cache``, the build's network and the
    target stage."""

    context: str
    dockerfile: str
    tag: str
    buildargs: Mapping[str, str]
    labels: Mapping[str, str]
    nocache: bool = False
    network: str = "host"
    target: str | None = None


@dataclass(frozen=True)
class FailedStep:
    """The step a failed build stopped at, as its log reports it: the step (its classic step
    number or BuildKit stage label and index) and what it printed (colour codes removed; the
    last lines of a long output), which holds the cause the engine's message lacks."""

    step: BuildStep
    output: tuple[str, ...]
    #: BuildKit's ``[stage i/n]``: the step's index in its stage and the stage's step count.
    index: tuple[int, int] | None = None


@dataclass(frozen=True)
class BuildStream:
    """The outcome of one build call: the image id on success, else the error and log tail
    (and the step it failed at, where the log tells); the steps the log reported either way,
    which builder ran it, and whether it was cancelled for running past its time limit."""

    image_id: str | None
    error: str | None
    log_tail: tuple[str, ...]
    steps: tuple[BuildStep, ...] = ()
    builder: str = "classic"
    timed_out: bool = False
    failed: FailedStep | None = None


@dataclass(frozen=True)
class TransferLog:
    """What the engine said about one push or pull: the last status of every layer it touched
    (keyed by the 12-hex id it prints: the diff id on a push, the blob digest on a pull) and the
    manifest digest it reported."""

    statuses: Mapping[str, str]
    digest: str | None

    def moved(self, short_id: str, skipped: tuple[str, ...]) -> bool:
        status = self.statuses.get(short_id)
        return status is not None and not status.startswith(skipped)


@dataclass(frozen=True)
class Removal:
    """What ``docker rmi <tag>`` did: the references it removed and the images it deleted (the
    image itself with its last reference, and the untagged parents only it kept), or why the
    engine refused (``conflict``: a container uses the image, say)."""

    untagged: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    conflict: str | None = None

    @classmethod
    def from_api(cls, doc: Any) -> Removal:
        entries = [e for e in doc or () if isinstance(e, Mapping)]
        return cls(
            untagged=tuple(str(e["Untagged"]) for e in entries if "Untagged" in e),
            deleted=tuple(str(e["Deleted"]) for e in entries if "Deleted" in e),
        )
