"""The rows of every result table: frozen dataclasses, one per kind of measurement.

Each row keeps raw values (every trial, every push, warm-ups flagged); statistics are derived.
:mod:`kit.model.tables` turns them into DataFrames, with the run's envelope (:class:`RunInfo`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.model.samples import (
    CapacityRow,
    DistributionSample,
    LayerStats,
    RebuildResult,
    StartSample,
    Status,
)

#: 2 added git_commit, batch_id, parameters, finished_utc (envelope) and the cache columns;
#: 3 added builder, requested_builder and builder_note (envelope); 4 added stages_built and
#: build_steps; 5 added the distribution rows' scenario and deploy_s, the images' fresh-host
#: medians and the capacity rows' measured fill of a fresh host (older rows read back as
#: base-present, the rest None); 6 added machine (envelope).
SCHEMA_VERSION = 6


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    kit_version: str
    engine_version: str
    engine_api: str
    storage_driver: str
    containerd_store: bool
    engine_host: str
    host: str
    profile: str
    requested_profile: str
    timestamp_utc: str  # when the run started
    schema_version: int = SCHEMA_VERSION
    git_commit: str | None = None  # of the app directory's checkout; "+dirty" when it has edits
    batch_id: str | None = None  # the `kit batch` run that executed this, if any
    parameters: str = "{}"  # the measurement parameters, as JSON
    finished_utc: str | None = None
    # Which builder built the images: "buildkit" or "classic" (every run before schema 3 was
    # classic, so that is what an older row reads back as).
    builder: str = "classic"
    requested_builder: str | None = None  # auto | buildkit | classic
    builder_note: str | None = None  # why auto did not use BuildKit, when it did not
    machine: str | None = None  # what ran the kit: cores, memory, OS, kernel (schema 6)
    # The builder's own version: "buildx 0.29.1 (docker CLI 28.5.2)", "docker CLI 20.10.24
    # (BuildKit built in)"; None for the classic builder (the engine's version says it).
    builder_version: str | None = None


@dataclass(frozen=True)
class ImageResult:
    """One variant: its build, its image, and the statistics of its start trials."""

    app: str
    variant: str
    description: str
    status: Status
    error: str | None
    error_type: str | None
    dockerfile: str
    dockerfile_sha256: str | None
    stages: int | None
    image_id: str | None = None
    tag: str | None = None
    size_bytes: int | None = None  # unpacked, as overlay2 counts it, on every engine and store
    #: The engine's own inspect ``Size``: the same on overlay2, the compressed content on the
    #: containerd image store.
    engine_size_bytes: int | None = None
    layers: int | None = None
    history_steps: int | None = None
    empty_steps: int | None = None
    base_image: str | None = None
    base_bytes: int | None = None
    build_cold_s: float | None = None
    build_warm_s: float | None = None
    stages_built: str | None = None  # the stages the cold build ran, e.g. "build, release"
    build_steps: int | None = None  # steps the cold build ran (FROM and the kit's LABELs left out)
    start_n: int = 0
    start_median_s: float | None = None
    start_iqr_s: float | None = None
    start_min_s: float | None = None
    start_max_s: float | None = None
    log_tail: str | None = None
    lint_findings: int | None = None  # hadolint findings; None when it could not lint the file
    compressed_bytes: int | None = None  # Σ gzip of the layer tars (+ config): what a push sends
    efficiency: float | None = None  # dive's: Σ smallest copy of each path / Σ all copies
    wasted_bytes: int | None = None  # Σ (all copies − the smallest) over repeated paths
    dive_wasted_bytes: int | None = None  # dive's figure, which also counts the kept copy
    floor_bytes: int | None = None  # bytes of the files the started service really uses
    x_floor: float | None = None  # size_bytes / floor_bytes
    floor_note: str | None = None  # which variant was traced, or why the floor is unknown
    packages: int | None = None  # installed packages (dpkg or apk database); None: no database
    package_db: str | None = None
    has_shell: bool | None = None
    has_package_manager: bool | None = None
    has_pip: bool | None = None
    has_compiler: bool | None = None
    push_median_s: float | None = None  # cold pushes to an emptied registry
    pull_median_s: float | None = None
    pushed_bytes: int | None = None  # median bytes a cold push really sent
    fresh_pull_median_s: float | None = None  # pulls onto an empty extra engine (fresh host)
    fresh_pulled_bytes: int | None = None  # median bytes such a pull downloaded
    deploy_median_s: float | None = None  # fresh-host pull + create + start to ready
    rebuild_s: float | None = None  # median warm rebuild after a one-line source edit
    rebuild_steps: int | None = None  # build steps that edit re-ran (not from the cache)
    cache_key: str | None = None  # digest of every input of this variant's measurements
    cached_from: str | None = None  # the run whose measurements were reused; None: measured now


@dataclass(frozen=True)
class TrialResult(StartSample):
    """One start trial as a result row: the raw sample plus which variant it belongs to."""

    app: str
    variant: str
    status: Status


@dataclass(frozen=True)
class DistributionRow(DistributionSample):
    """One push and pull of one variant's image through a registry."""

    app: str


@dataclass(frozen=True)
class RebuildRow(RebuildResult):
    """One warm rebuild after a one-line edit of a source file."""

    app: str
    trial: int


@dataclass(frozen=True)
class CapacityTableRow(CapacityRow):
    """One variant's images-per-host figures, with its app's totals repeated for joins."""

    capacity_bytes: int
    app_separate_bytes: int
    app_together_bytes: int | None
    #: Measured on a fresh host holding every variant of the app (``--fresh-host``): what
    #: ``docker system df`` counts for its layers, and what its data root takes on disk.
    fresh_layers_bytes: int | None = None
    fresh_data_root_bytes: int | None = None


@dataclass(frozen=True)
class LayerRow(LayerStats):
    """One filesystem layer of a variant's image, in order."""

    app: str
    variant: str


@dataclass(frozen=True)
class WastedRow:
    app: str
    variant: str
    path: str
    wasted_bytes: int
    layers: str  # the layer indexes holding a copy, e.g. "2, 3"


@dataclass(frozen=True)
class FloorRow:
    """One file of the floor: traced while the service passed its probe, sized in the image."""

    app: str
    variant: str  # the variant that was traced
    path: str
    bytes: int


@dataclass(frozen=True)
class RuleBytes:
    """Bytes under the paths where a size-related hadolint rule's cost lives, in one image."""

    app: str
    variant: str
    rule: str
    prefixes: str
    bytes: int


@dataclass(frozen=True)
class FileRow:
    """One path of a variant's image (its layers stacked): a file, a symlink or a hard link."""

    app: str
    variant: str
    path: str
    bytes: int  # a file's size; 0 for a symlink or a hard link's second name
    kind: str  # file | symlink | hardlink | other
    target: str | None = None  # a symlink's target as written; a hard link's first name


@dataclass(frozen=True)
class PackageRow:
    """One installed package of a variant's image, from its dpkg or apk database."""

    app: str
    variant: str
    name: str
    version: str
    bytes: int | None  # the installed size its database records
