"""Read an app directory in the experiment format into typed specs.

``dockerfiles/<app>/`` is the build context; each ``Dockerfile.<variant>`` is one variant, read
and parsed once (:mod:`kit.inputs.dockerfile`); an optional ``experiment.toml``
(:mod:`kit.inputs.experiment`) names the probe, descriptions and build args per profile.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from kit.config import dockerfiles_dir
from kit.errors import BuildError, ExperimentConfigError, InvalidVariantError
from kit.inputs import experiment
from kit.inputs.claims import parse_claims
from kit.inputs.dockerfile import Dockerfile, DockerfileSyntaxError
from kit.inputs.experiment import DEFAULT_BUILD_TIMEOUT_S, DEFAULT_LIMITS, Limits, Probe
from kit.model.budgets import Budget
from kit.model.claims import DeclaredClaim

VARIANT_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Variant:
    name: str
    file: Dockerfile
    description: str = ""
    args: Mapping[str, str] = field(default_factory=_empty)
    #: Dockerfiles that replace this one under a profile (e.g. an apk version for ``hub``).
    overrides: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def dockerfile(self) -> Path:
        return self.file.path

    @property
    def sha256(self) -> str:
        return self.file.sha256

    @property
    def stages(self) -> int:
        """Number of ``FROM`` instructions: more than one means a multi-stage build."""
        return len(self.file.stages)

    def for_profile(self, profile: str) -> Variant:
        """This variant as it is built under ``profile``."""
        path = self.overrides.get(profile)
        return self if path is None else replace(self, file=read_dockerfile(path, self.name))


def read_dockerfile(path: Path, variant: str | None = None) -> Dockerfile:
    """The parsed Dockerfile; one Docker could not read either is a clear error."""
    try:
        return Dockerfile.read(path)
    except DockerfileSyntaxError as exc:
        raise ExperimentConfigError(
            f"cannot parse {path.name}, {exc}",
            variant=variant,
            file=path,
        ) from exc


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
    limits: Limits = DEFAULT_LIMITS
    budgets: tuple[Budget, ...] = ()  # app-wide (variant None) and per-variant limits
    build_timeout_s: float = DEFAULT_BUILD_TIMEOUT_S  # [build] timeout_s: one build's limit

    def build_args(self, variant: Variant, profile: str) -> dict[str, str]:
        return {**self.profile_args.get(profile, {}), **variant.args}

    def bases(self, variant: Variant, profile: str) -> list[str]:
        """The images ``variant``'s FROM lines name under ``profile`` (not stages, not scratch)."""
        with self._parsed(variant):
            return variant.file.base_images(self.build_args(variant, profile))

    def images(self, variant: Variant, profile: str) -> list[tuple[int, str]]:
        """(line, image) of every image the build fetches: FROM bases and ``COPY --from``."""
        args = self.build_args(variant, profile)
        with self._parsed(variant):
            resolved = [ref for _, ref in variant.file.resolved(args)]
            bases = set(variant.file.base_images(args))
            found = [
                (stage.line, ref)
                for stage, ref in zip(variant.file.stages, resolved, strict=True)
                if ref in bases
            ]
            return found + variant.file.copied_images(args)

    def release_base(self, variant: Variant, profile: str) -> str | None:
        with self._parsed(variant):
            return variant.file.release_base(self.build_args(variant, profile))

    def stages(self, variant: Variant, profile: str) -> list[tuple[str | None, str]]:
        """(stage name, FROM reference) of each stage under ``profile``."""
        with self._parsed(variant):
            return variant.file.resolved(self.build_args(variant, profile))

    @contextlib.contextmanager
    def _parsed(self, variant: Variant) -> Iterator[None]:
        """A substitution Docker would refuse too (``${IMG:?must be set}``) is a build error."""
        try:
            yield
        except DockerfileSyntaxError as exc:
            raise BuildError(
                f"{variant.dockerfile.name}, {exc}",
                app=self.name,
                variant=variant.name,
                file=variant.dockerfile,
            ) from exc


def _rejected(
    root: Path, dockerfile: Path, vname: str, error: ExperimentConfigError
) -> RejectedVariant:
    sha = ""
    if dockerfile.resolve().is_relative_to(root):  # never read a file outside the context
        with contextlib.suppress(OSError):
            sha = hashlib.sha256(dockerfile.read_bytes()).hexdigest()
    return RejectedVariant(vname, dockerfile, sha, error)


def _problem(root: Path, dockerfile: Path, vname: str, app: str) -> ExperimentConfigError | None:
    """Why ``dockerfile`` cannot be a variant, if it cannot."""
    if not VARIANT_NAME.fullmatch(vname):
        return InvalidVariantError(
            f"invalid variant name {vname!r}: must match {VARIANT_NAME.pattern}",
            app=app,
            variant=vname,
            file=dockerfile,
        )
    # A symlink out of the build context: the engine looks for the Dockerfile inside the
    # context (it would not find it), and the kit must not read files outside it either.
    target = dockerfile.resolve()
    if not target.is_relative_to(root):
        return ExperimentConfigError(
            f"{dockerfile.name} points outside the build context, to {target}",
            app=app,
            variant=vname,
            file=dockerfile,
        )
    if not target.is_file():
        return ExperimentConfigError(
            f"{dockerfile.name} is not a readable file", app=app, variant=vname, file=dockerfile
        )
    return None


def app_directory(directory: str | Path) -> Path:
    """``directory``, or the bundled app of that name (``node-server``) when no such folder
    exists here: the bundled apps ship with the kit."""
    given = Path(directory)
    bundled = dockerfiles_dir() / given.name
    if (
        not given.exists()
        and given.name == str(directory)
        and (bundled / "experiment.toml").exists()
    ):
        return bundled.resolve()
    return given.resolve()


def load_app(directory: str | Path) -> App:
    """Discover the variants of one app directory (or bundled app); raise only for app-level
    problems."""
    root = app_directory(directory)
    name = root.name
    if not root.is_dir():
        raise ExperimentConfigError(f"{root} is not a directory", app=name, file=root)
    config = root / "experiment.toml"
    doc = experiment.read(config, name)
    probe = experiment.probe(doc, config, name)
    limits = experiment.limits(doc, config, name)
    build_timeout_s = experiment.build_timeout(doc, config, name)
    title = experiment.title(doc, config, name)
    profile_args = experiment.profile_args(doc, config, name)
    variants_doc = experiment.table(doc, "variants", "variants", config, name)
    variants: list[Variant] = []
    rejected: list[RejectedVariant] = []
    budgets = list(experiment.budgets(doc, config, name))
    for dockerfile in sorted(root.glob("Dockerfile.*")):
        if dockerfile.name.endswith(".dockerignore"):
            continue  # BuildKit's per-Dockerfile ignore file (Dockerfile.<v>.dockerignore)
        vname = dockerfile.name.removeprefix("Dockerfile.")
        if (problem := _problem(root, dockerfile, vname, name)) is not None:
            rejected.append(_rejected(root, dockerfile, vname, problem))
            continue
        body = experiment.variant_table(variants_doc, vname, root, config, name)
        try:
            parsed = read_dockerfile(dockerfile, vname)
        except ExperimentConfigError as exc:
            sha = hashlib.sha256(dockerfile.read_bytes()).hexdigest()
            rejected.append(RejectedVariant(vname, dockerfile, sha, exc))
            continue
        budgets += body.budgets
        variants.append(
            Variant(
                name=vname,
                file=parsed,
                description=body.description,
                args=body.args,
                overrides=body.overrides,
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
        profile_args=profile_args,
        claims=parse_claims(doc.get("claims"), [v.name for v in variants], app=name, file=config),
        limits=limits,
        budgets=tuple(budgets),
        build_timeout_s=build_timeout_s,
    )
