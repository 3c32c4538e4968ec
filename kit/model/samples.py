"""What each measurement returns: raw samples and per-image facts, as frozen dataclasses.

The measure layer produces these; the row classes of :mod:`kit.model.rows` extend them with the
app (and the variant, where the sample does not carry it) to make table rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: A measurement that worked, or did not (its ``error`` says why).
Status = Literal["ok", "failed"]
#: A payoff trial may also be ``skipped``: not measured, with the reason in ``error``.
TrialStatus = Literal["ok", "failed", "skipped"]
#: Cold: an emptied registry; warm: a sibling's layers already pushed.
Mode = Literal["cold", "warm"]
#: Where a pull lands: the engine that built the image, its base layers still there
#: (``base-present``), or an empty extra engine, as a new node or CI runner (``fresh-host``).
Scenario = Literal["base-present", "fresh-host"]


@dataclass(frozen=True)
class StartSample:
    """One start trial's phases in seconds; ``error`` is set when the trial failed."""

    trial: int
    warmup: bool
    create_s: float | None
    start_s: float | None
    ready_s: float | None
    total_s: float | None
    exit_code: int | None
    error: str | None
    error_type: str | None


@dataclass(frozen=True)
class LayerStats:
    """One filesystem layer of an image, in order."""

    index: int
    created_by: str
    diff_id: str
    tar_bytes: int  # the uncompressed layer tar
    content_bytes: int  # regular files' sizes
    compressed_bytes: int | None  # gzip level 6 of the tar, as a push sends it (None: not asked)
    files_added: int  # non-directories new at their path
    files_modified: int  # non-directories replacing one below
    files_deleted: int  # non-directories visible below and gone after this layer
    #: Regular files plus symlink targets: the layer unpacked, as overlay2's ``Size`` counts it.
    unpacked_bytes: int


@dataclass(frozen=True)
class StageSize:
    """One build stage's image, against what reaches the release image."""

    app: str
    variant: str
    stage: str
    index: int
    base: str  # what the stage starts FROM
    size_bytes: int
    release: bool  # the last stage: what ships


@dataclass(frozen=True)
class LintFinding:
    app: str
    variant: str
    rule: str
    line: int
    level: str  # hadolint's: "error" | "warning" | "info" | "style"
    message: str
    size_related: bool
    #: The instruction on that line and its stage, from the parsed Dockerfile (None: the line
    #: holds no instruction, e.g. before the first FROM).
    instruction: str | None = None
    stage: str | None = None
    #: Whether that stage's layers are in the released image (the last stage, and the stages
    #: it starts FROM); a finding in a build stage costs the release nothing directly.
    ships: bool | None = None


@dataclass(frozen=True)
class LintStatus:
    app: str
    variant: str
    status: Status
    error: str | None
    findings: int


@dataclass(frozen=True)
class DistributionSample:
    """One push + pull of one image (``base-present``), or one pull onto an empty host and the
    start of the pulled image there, ready by the app's probe (``fresh-host``: no push, ``mode``
    cold; ``deploy_s`` = pull + create + start to ready)."""

    variant: str
    trial: int
    mode: Mode
    push_s: float | None
    pull_s: float | None
    pushed_bytes: int | None
    pulled_bytes: int | None
    status: TrialStatus
    error: str | None
    # Keyword-only: rows before schema 4 have neither, and were all base-present.
    scenario: Scenario = field(default="base-present", kw_only=True)
    deploy_s: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class RebuildResult:
    """The warm rebuild after an edit; ``steps_rebuilt``: build steps not taken from the cache
    (``FROM`` is not a step here)."""

    variant: str
    edited_file: str | None
    rebuild_s: float | None
    steps_rebuilt: int | None
    status: Status
    error: str | None


@dataclass(frozen=True)
class CapacityRow:
    """One variant's images per host (see :mod:`kit.measure.capacity`)."""

    app: str
    variant: str
    size_bytes: int
    shared_bytes: int
    unique_bytes: int
    fit_shared: int | None
    fit_separate: int
