"""What a run asked for and could not measure: one :class:`Failure` per step and variant.

Every table keeps its failed rows (status ``failed`` and the error); this module reads them back
as one list, so a notebook's headline, its claims, ``kit batch`` and the report's index all say
the same thing about a run — a measurement that failed is never shown as a success, nor as a
choice of the parameters ("not tested").

A failure is *expected* only where the run's own parameters made it so: a BuildKit-only
Dockerfile under the classic builder the run was told to use. It is listed, and does not make
the run partial.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kit.model.rows import DistributionRow, ImageResult, RebuildRow
from kit.model.samples import LintStatus
from kit.plaintext import plain_lines

#: Error types that say "this builder cannot build this Dockerfile", not "the build broke".
BUILDER_LIMITS = ("BuilderSyntaxError",)
_MAX = 240


def one_line(text: object) -> str:
    """The first non-empty line of ``text``, colour codes removed, at most :data:`_MAX` chars."""
    lines = plain_lines(str(text or "").split("\n"))
    line = next((s.strip() for s in lines if s.strip()), "")
    return line if len(line) <= _MAX else line[: _MAX - 1] + "…"


@dataclass(frozen=True)
class Failure:
    """One requested measurement that did not come out: which step, of which variant (None for
    a step of the whole app), and why, in one line."""

    #: build | push and pull | fresh host | fresh host fill | rebuild | floor | lint |
    #: images per host
    step: str
    variant: str | None
    cause: str
    expected: bool = False

    def __str__(self) -> str:
        where = f"{self.step} of {self.variant}" if self.variant else self.step
        return f"{where}: {self.cause}"


#: Which step of a variant an image row's error type says failed (anything else: its build).
_IMAGE_STEPS = {
    "StartError": "start",
    "ProbeTimeoutError": "start",
    "ContainerExitError": "start",
    "LayerError": "layer anatomy",
    "ImageGoneError": "image",
}


#: The steps whose failure fails the variant's image row (so every later number of it).
VARIANT_STEPS = ("build", *dict.fromkeys(_IMAGE_STEPS.values()))


def _image(row: ImageResult, builder: str) -> Failure:
    limit = row.error_type in BUILDER_LIMITS and builder == "classic"
    cause = one_line(f"{row.error_type}: {row.error}" if row.error_type else row.error)
    step = _IMAGE_STEPS.get(str(row.error_type), "build")
    return Failure(step, row.variant, cause or "failed", expected=limit)


def _scenario(row: DistributionRow) -> str:
    return "fresh host" if row.scenario == "fresh-host" else "push and pull"


def collect(
    images: Iterable[ImageResult],
    distribution: Iterable[DistributionRow] = (),
    rebuild: Iterable[RebuildRow] = (),
    lint: Iterable[LintStatus] = (),
    steps: Sequence[Failure] = (),
    *,
    builder: str = "classic",
) -> tuple[Failure, ...]:
    """Every failure the rows record, one per (step, variant), in the order a run makes them."""
    found: list[Failure] = []
    images = tuple(images)
    for row in images:
        if row.status != "ok":
            found.append(_image(row, builder))
    for status in lint:
        if status.status != "ok":
            found.append(Failure("lint", status.variant, one_line(status.error) or "failed"))
    found += _floor(images)
    for d in distribution:
        if d.status == "failed":
            found.append(Failure(_scenario(d), d.variant, one_line(d.error) or "failed"))
    for r in rebuild:
        if r.status != "ok":
            found.append(Failure("rebuild", r.variant, one_line(r.error) or "failed"))
    found += steps
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for f in found:
        if (f.step, f.variant) not in seen:
            seen.add((f.step, f.variant))
            unique.append(f)
    return tuple(unique)


def _floor(images: Sequence[ImageResult]) -> list[Failure]:
    """The floor was traced (every ok row carries its note) but came out unknown."""
    ok = [r for r in images if r.status == "ok"]
    if not ok or any(r.floor_bytes for r in ok) or not all(r.floor_note for r in ok):
        return []
    return [Failure("floor", None, one_line(ok[0].floor_note))]


def unexpected(failures: Iterable[Failure]) -> tuple[Failure, ...]:
    return tuple(f for f in failures if not f.expected)


def cause_of(
    failures: Iterable[Failure], steps: Iterable[str], variants: Iterable[str] = ()
) -> Failure | None:
    """The first failure of one of ``steps`` (of one of ``variants``, or of the whole app, when
    variants are given), or None."""
    wanted, names = set(steps), set(variants)
    for f in failures:
        if f.step in wanted and (not names or f.variant is None or f.variant in names):
            return f
    return None
