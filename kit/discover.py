"""Read an app directory in the experiment format into typed specs.

``dockerfiles/<app>/`` is the build context; each ``Dockerfile.<variant>`` is one variant; an
optional ``experiment.toml`` names the probe, descriptions and build args per profile.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from kit.claims import DeclaredClaim, parse_claims
from kit.errors import ExperimentConfigError, InvalidVariantError

VARIANT_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
PROBE_KINDS = ("exit", "log", "http")
PROFILES = ("local", "hub")
ProbeKind = Literal["exit", "log", "http"]


@dataclass(frozen=True)
class Probe:
    """How the kit knows a started container is up."""

    kind: ProbeKind = "exit"
    path: str = "/"
    pattern: str | None = None
    timeout_s: float = 30.0


@dataclass(frozen=True)
class Variant:
    name: str
    dockerfile: Path
    description: str
    sha256: str
    stages: int
    args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Dockerfiles that replace this one under a profile (e.g. an apk version for ``hub``).
    overrides: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))

    def for_profile(self, profile: str) -> Variant:
        """This variant as it is built under ``profile``."""
        path = self.overrides.get(profile)
        return self if path is None else replace(self, dockerfile=path, **_digest(path))


def _digest(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "stages": count_stages(data.decode("utf-8", "replace")),
    }


@dataclass(frozen=True)
class RejectedVariant:
    """A ``Dockerfile.*`` that cannot be a variant; it becomes a failed row, not a crash."""

    name: str
    dockerfile: Path
    sha256: str
    error: ExperimentConfigError


@dataclass(frozen=True)
class App:
    name: str
    directory: Path
    title: str
    probe: Probe
    variants: tuple[Variant, ...]
    rejected: tuple[RejectedVariant, ...]
    profile_args: Mapping[str, Mapping[str, str]]
    claims: tuple[DeclaredClaim, ...] = ()

    def build_args(self, variant: Variant, profile: str) -> dict[str, str]:
        return {**self.profile_args.get(profile, {}), **variant.args}


def _table(doc: Mapping[str, Any], key: str, where: str, path: Path, app: str) -> dict[str, Any]:
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


def _probe(doc: Mapping[str, Any], path: Path, app: str) -> Probe:
    raw = _table(doc, "probe", "probe", path, app)
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


def _overrides(
    body: Mapping[str, Any], vname: str, root: Path, config: Path, app: str
) -> dict[str, Path]:
    """``[variants.<v>.profiles.<p>] dockerfile = "..."``: a Dockerfile inside the context."""
    found = {}
    for profile, table in _table(
        body, "profiles", f"variants.{vname}.profiles", config, app
    ).items():
        where = f"[variants.{vname}.profiles.{profile}]"
        if profile not in PROFILES or not isinstance(table, dict) or set(table) != {"dockerfile"}:
            raise ExperimentConfigError(
                f"{where}: profiles are {', '.join(PROFILES)}, each with one key `dockerfile`",
                app=app,
                file=config,
            )
        path = (root / str(table["dockerfile"])).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ExperimentConfigError(
                f"{where}: {table['dockerfile']} is not a file inside the app directory",
                app=app,
                file=config,
            )
        found[profile] = path
    return found


def count_stages(text: str) -> int:
    """Number of ``FROM`` instructions: more than one means a multi-stage build."""
    return sum(1 for line in text.splitlines() if re.match(r"\s*FROM\s", line, re.IGNORECASE))


def load_app(directory: str | Path) -> App:
    """Discover the variants of one app directory; raise only for app-level problems."""
    root = Path(directory).resolve()
    name = root.name
    if not root.is_dir():
        raise ExperimentConfigError(f"{root} is not a directory", app=name, file=root)
    config = root / "experiment.toml"
    doc: dict[str, Any] = {}
    if config.exists():
        try:
            doc = tomllib.loads(config.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ExperimentConfigError(
                f"experiment.toml is not valid TOML: {exc}", app=name, file=config
            ) from exc
    unknown_top = set(doc) - {"title", "probe", "variants", "profiles", "claims"}
    if unknown_top:
        raise ExperimentConfigError(
            f"unknown keys in experiment.toml: {', '.join(sorted(unknown_top))}",
            app=name,
            file=config,
        )
    probe = _probe(doc, config, name)
    title = doc.get("title", name)
    if not isinstance(title, str):
        raise ExperimentConfigError("title must be a string", app=name, file=config)
    profiles_doc = _table(doc, "profiles", "profiles", config, name)
    profile_args = {}
    for profile, body in profiles_doc.items():
        if profile not in PROFILES or not isinstance(body, dict):
            raise ExperimentConfigError(
                f"[profiles.{profile}]: profiles are {', '.join(PROFILES)}", app=name, file=config
            )
        profile_args[profile] = MappingProxyType(
            _str_map(body.get("args", {}), f"profiles.{profile}.args", config, name)
        )
    variants_doc = _table(doc, "variants", "variants", config, name)

    variants: list[Variant] = []
    rejected: list[RejectedVariant] = []
    for dockerfile in sorted(root.glob("Dockerfile.*")):
        vname = dockerfile.name.removeprefix("Dockerfile.")
        if not VARIANT_NAME.fullmatch(vname):
            rejected.append(
                RejectedVariant(
                    vname,
                    dockerfile,
                    hashlib.sha256(dockerfile.read_bytes()).hexdigest(),
                    InvalidVariantError(
                        f"invalid variant name {vname!r}: must match {VARIANT_NAME.pattern}",
                        app=name,
                        variant=vname,
                        file=dockerfile,
                    ),
                )
            )
            continue
        body = variants_doc.get(vname, {})
        if not isinstance(body, dict):
            raise ExperimentConfigError(
                f"[variants.{vname}] must be a table", app=name, file=config
            )
        extra = set(body) - {"description", "args", "profiles"}
        if extra:
            raise ExperimentConfigError(
                f"unknown keys in [variants.{vname}]: {', '.join(sorted(extra))}",
                app=name,
                file=config,
            )
        variants.append(
            Variant(
                name=vname,
                dockerfile=dockerfile,
                description=str(body.get("description", "")),
                args=MappingProxyType(
                    _str_map(body.get("args", {}), f"variants.{vname}.args", config, name)
                ),
                overrides=MappingProxyType(_overrides(body, vname, root, config, name)),
                **_digest(dockerfile),
            )
        )
    unknown = set(variants_doc) - {v.name for v in variants} - {r.name for r in rejected}
    if unknown:
        raise ExperimentConfigError(
            f"[variants.*] name variants with no Dockerfile: {', '.join(sorted(unknown))}",
            app=name,
            file=config,
        )
    if not variants and not rejected:
        raise ExperimentConfigError(
            "no Dockerfile.<variant> files in the app directory", app=name, file=root
        )
    return App(
        name=name,
        directory=root,
        title=title,
        probe=probe,
        variants=tuple(variants),
        rejected=tuple(rejected),
        profile_args=MappingProxyType(profile_args),
        claims=parse_claims(doc.get("claims"), [v.name for v in variants], app=name, file=config),
    )
