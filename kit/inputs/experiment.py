"""The ``experiment.toml`` format: an app's title, readiness probe, the limits of its containers,
its builds' time limit (``[build]``), build args per profile, one table per variant
(description, args, per-profile Dockerfile overrides, budgets), budgets (``[budgets]``,
:mod:`kit.model.budgets`) and declared claims (:mod:`kit.inputs.claims`). Every problem is an
:class:`~kit.errors.ExperimentConfigError` naming the file and what is wrong."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from kit.errors import ExperimentConfigError
from kit.model.budgets import CLAIMS, KEYS, LIMITS, Budget

PROBE_KINDS = ("exit", "log", "http")
PROFILES = ("local", "hub")
TOP_KEYS = ("title", "probe", "limits", "build", "variants", "profiles", "claims", "budgets")
LIMIT_KEYS = ("memory_mb", "pids")
BUILD_KEYS = ("timeout_s",)
#: ``[build] timeout_s`` when not given: past it a build is cancelled and its variant fails.
#: Long enough for the slowest honest build here (a compiler toolchain from the mirrors).
DEFAULT_BUILD_TIMEOUT_S = 1800.0
VARIANT_KEYS = ("description", "args", "profiles", "budgets")
ProbeKind = Literal["exit", "log", "http"]


@dataclass(frozen=True)
class Probe:
    """How the kit knows a started container is up."""

    kind: ProbeKind = "exit"
    path: str = "/"
    pattern: str | None = None
    timeout_s: float = 30.0


@dataclass(frozen=True)
class Limits:
    """``[limits]``: what one container under test may take, so a runaway image (a leak, a fork
    bomb) cannot take the host down. Raise them for an app that needs more."""

    memory_mb: int = 1024  # memory and memory+swap, in MiB
    pids: int = 512  # processes and threads together

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class VariantTable:
    """``[variants.<name>]``: all optional."""

    description: str
    args: Mapping[str, str]
    overrides: Mapping[str, Path]  # profile → a Dockerfile that replaces the variant's
    budgets: tuple[Budget, ...] = ()


def read(config: Path, app: str) -> dict[str, Any]:
    """The parsed file (empty when there is none), its top-level keys checked."""
    doc: dict[str, Any] = {}
    if config.exists():
        try:
            doc = tomllib.loads(config.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ExperimentConfigError(
                f"experiment.toml is not valid TOML: {exc}", app=app, file=config
            ) from exc
    unknown_top = set(doc) - set(TOP_KEYS)
    if unknown_top:
        raise ExperimentConfigError(
            f"unknown keys in experiment.toml: {', '.join(sorted(unknown_top))}",
            app=app,
            file=config,
        )
    return doc


def title(doc: Mapping[str, Any], config: Path, app: str) -> str:
    value = doc.get("title", app)
    if not isinstance(value, str):
        raise ExperimentConfigError("title must be a string", app=app, file=config)
    return value


def table(doc: Mapping[str, Any], key: str, where: str, path: Path, app: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise ExperimentConfigError(f"[{where}] must be a table", app=app, file=path)
    return value


def _str_map(value: Any, where: str, path: Path, app: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(v, str | int | float) for v in value.values()
    ):
        raise ExperimentConfigError(f"[{where}] must map names to strings", app=app, file=path)
    return {str(k): str(v) for k, v in value.items()}


def probe(doc: Mapping[str, Any], path: Path, app: str) -> Probe:
    raw = table(doc, "probe", "probe", path, app)
    unknown = set(raw) - {"kind", "path", "pattern", "timeout_s"}
    if unknown:
        raise ExperimentConfigError(
            f"unknown keys in [probe]: {', '.join(sorted(unknown))}", app=app, file=path
        )
    kind = raw.get("kind", "exit")
    if kind not in PROBE_KINDS:
        raise ExperimentConfigError(
            f"probe.kind must be one of {', '.join(PROBE_KINDS)}, not {kind!r}", app=app, file=path
        )
    pattern = raw.get("pattern")
    if kind == "log":
        if not isinstance(pattern, str):
            raise ExperimentConfigError("probe.kind = 'log' needs a pattern", app=app, file=path)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ExperimentConfigError(
                f"probe.pattern is not a valid regex: {exc}", app=app, file=path
            ) from exc
    timeout = raw.get("timeout_s", 30)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ExperimentConfigError("probe.timeout_s must be a positive number", app=app, file=path)
    probe_path = raw.get("path", "/")
    if not isinstance(probe_path, str) or not probe_path.startswith("/"):
        raise ExperimentConfigError("probe.path must start with '/'", app=app, file=path)
    return Probe(kind=kind, path=probe_path, pattern=pattern, timeout_s=float(timeout))


def limits(doc: Mapping[str, Any], path: Path, app: str) -> Limits:
    raw = table(doc, "limits", "limits", path, app)
    unknown = set(raw) - set(LIMIT_KEYS)
    if unknown:
        raise ExperimentConfigError(
            f"unknown keys in [limits]: {', '.join(sorted(unknown))}", app=app, file=path
        )
    for key, value in raw.items():
        # bool is an int to Python, and never a sensible limit.
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ExperimentConfigError(
                f"limits.{key} must be a positive whole number", app=app, file=path
            )
    return Limits(**raw)


def build_timeout(doc: Mapping[str, Any], path: Path, app: str) -> float:
    """``[build] timeout_s``: how long one build may take before it is cancelled."""
    raw = table(doc, "build", "build", path, app)
    unknown = set(raw) - set(BUILD_KEYS)
    if unknown:
        raise ExperimentConfigError(
            f"unknown keys in [build]: {', '.join(sorted(unknown))}", app=app, file=path
        )
    value = raw.get("timeout_s", DEFAULT_BUILD_TIMEOUT_S)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ExperimentConfigError(
            "build.timeout_s must be a positive number of seconds", app=app, file=path
        )
    return float(value)


def profile_args(doc: Mapping[str, Any], config: Path, app: str) -> Mapping[str, Mapping[str, str]]:
    """``[profiles.<p>] args = {...}``: build args for every variant under a profile."""
    found = {}
    for profile, body in table(doc, "profiles", "profiles", config, app).items():
        if profile not in PROFILES or not isinstance(body, dict):
            raise ExperimentConfigError(
                f"[profiles.{profile}]: profiles are {', '.join(PROFILES)}", app=app, file=config
            )
        found[profile] = MappingProxyType(
            _str_map(body.get("args", {}), f"profiles.{profile}.args", config, app)
        )
    return MappingProxyType(found)


def variant_table(
    variants: Mapping[str, Any], vname: str, root: Path, config: Path, app: str
) -> VariantTable:
    body = variants.get(vname, {})
    if not isinstance(body, dict):
        raise ExperimentConfigError(f"[variants.{vname}] must be a table", app=app, file=config)
    extra = set(body) - set(VARIANT_KEYS)
    if extra:
        raise ExperimentConfigError(
            f"unknown keys in [variants.{vname}]: {', '.join(sorted(extra))}",
            app=app,
            file=config,
        )
    return VariantTable(
        description=str(body.get("description", "")),
        args=MappingProxyType(
            _str_map(body.get("args", {}), f"variants.{vname}.args", config, app)
        ),
        overrides=MappingProxyType(_overrides(body, vname, root, config, app)),
        budgets=budgets(body, config, app, variant=vname),
    )


def budgets(
    doc: Mapping[str, Any], config: Path, app: str, *, variant: str | None = None
) -> tuple[Budget, ...]:
    """``[budgets]`` (app-wide) or ``[variants.<v>.budgets]``: each key a known limit with a
    value of the right kind; ``claims = "hold"`` only app-wide."""
    where = "budgets" if variant is None else f"variants.{variant}.budgets"
    found = []
    for key, value in table(doc, "budgets", where, config, app).items():

        def bad(why: str, key: str = key) -> ExperimentConfigError:
            return ExperimentConfigError(f"[{where}] {key}: {why}", app=app, file=config)

        if key not in KEYS:
            raise bad(f"unknown budget; budgets are {', '.join(KEYS)}")
        if key == CLAIMS:
            if variant is not None:
                raise bad("claims span variants: set it in the app-wide [budgets]")
            if value != "hold":
                raise bad('the only value is "hold" (every declared claim must hold)')
        elif LIMITS[key].bound == "is":
            if not isinstance(value, bool):
                raise bad("must be true or false")
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise bad("must be a number ≥ 0")
        elif key == "min_efficiency" and value > 1:
            raise bad("efficiency is a fraction between 0 and 1 (dive's), e.g. 0.95")
        found.append(Budget(key, value if isinstance(value, bool | str) else float(value), variant))
    return tuple(found)


def _overrides(
    body: Mapping[str, Any], vname: str, root: Path, config: Path, app: str
) -> dict[str, Path]:
    """``[variants.<v>.profiles.<p>] dockerfile = "..."``: a Dockerfile inside the context."""
    found = {}
    for profile, entry in table(
        body, "profiles", f"variants.{vname}.profiles", config, app
    ).items():
        where = f"[variants.{vname}.profiles.{profile}]"
        if profile not in PROFILES or not isinstance(entry, dict) or set(entry) != {"dockerfile"}:
            raise ExperimentConfigError(
                f"{where}: profiles are {', '.join(PROFILES)}, each with one key `dockerfile`",
                app=app,
                file=config,
            )
        path = (root / str(entry["dockerfile"])).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ExperimentConfigError(
                f"{where}: {entry['dockerfile']} is not a file inside the app directory",
                app=app,
                file=config,
            )
        found[profile] = path
    return found
