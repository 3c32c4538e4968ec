"""The engine layer: the only place that imports the Docker SDK.

``Engine`` (``client``) is made of parts, each a module: ``images``, ``containers``, ``builds``,
``files`` (reading an image's files without running it), ``transfers`` (push, pull),
``buildkit`` (BuildKit builds through a docker CLI, the one engine call not made through the
SDK) with ``buildlog`` (a build log's steps), and
``context`` (the build context as the engine receives it). Every part returns the typed models
of ``models``; ``labels`` names what the kit puts on the objects it creates; ``session`` is the
one wrapper every call goes through; ``causes`` reads a failed step's cause; ``leftovers``
(the journal and sweep of what a dead process left on an engine) and ``orphans`` (what a dead
engine's BuildKit steps left on the host) clean up after a death.
"""

from kit.engine.client import Engine
from kit.engine.labels import BATCH_LABEL, MANAGED, REPOSITORIES, RUN_LABEL
from kit.engine.models import (
    BuildRequest,
    BuildStep,
    BuildStream,
    ContainerInfo,
    DiskUsage,
    EngineInfo,
    FailedStep,
    HistoryStep,
    ImageInfo,
    Removal,
    TransferLog,
)

__all__ = [
    "BATCH_LABEL",
    "MANAGED",
    "REPOSITORIES",
    "RUN_LABEL",
    "BuildRequest",
    "BuildStep",
    "BuildStream",
    "ContainerInfo",
    "DiskUsage",
    "Engine",
    "EngineInfo",
    "FailedStep",
    "HistoryStep",
    "ImageInfo",
    "Removal",
    "TransferLog",
]
