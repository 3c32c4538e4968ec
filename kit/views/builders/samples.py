"""Two runs of one app, one per builder, as the builder views need them: the run of each
builder, a variant's row under each, the stages each builder ran, the package-cache bytes in an
image's layers, and rebuild samples."""

from __future__ import annotations

from collections.abc import Sequence

from kit.model.results import Results
from kit.model.rows import ImageResult
from kit.model.rules import SIZE_RULE_PATHS

#: The hadolint rules whose cost is what a package manager keeps for the next run — apt's package
#: lists, the download caches of pip, apk, yarn, yum, zypper and dnf: their bytes in an image's
#: layers are the caches the image carries.
CACHE_RULES = ("DL3009", "DL3042", "DL3019", "DL3060", "DL3032", "DL3036", "DL3040")
ORDER = ("buildkit", "classic")


def by_builder(runs: Sequence[Results]) -> dict[str, Results]:
    """Each builder's run (the last one given wins), BuildKit first."""
    found: dict[str, Results] = {}
    for results in runs:
        found[results.run.builder] = results
    return {b: found[b] for b in sorted(found, key=lambda b: (*ORDER, b).index(b))}


def variants(runs: Sequence[Results]) -> list[str]:
    """Every variant any of the runs measured, in the order the first run lists them."""
    names: list[str] = []
    for results in runs:
        names += [r.variant for r in results.image_rows if r.variant not in names]
    return names


def row(results: Results, variant: str) -> ImageResult | None:
    return next((r for r in results.image_rows if r.variant == variant), None)


def stages_of(results: Results, variant: str) -> tuple[str, ...] | None:
    """The stages the variant's cold build ran; None when not measured (a failed build)."""
    found = row(results, variant)
    if found is None or found.status != "ok" or found.stages_built is None:
        return None
    return tuple(s for s in found.stages_built.split(", ") if s)


def skipped(runs: Sequence[Results], variant: str) -> tuple[str, ...] | None:
    """Stages the classic builder ran that BuildKit did not; None unless both built it."""
    runs_of = by_builder(runs)
    if "buildkit" not in runs_of or "classic" not in runs_of:
        return None
    bk, classic = stages_of(runs_of["buildkit"], variant), stages_of(runs_of["classic"], variant)
    if bk is None or classic is None:
        return None
    return tuple(s for s in classic if s not in bk)


def cache_bytes(results: Results, variant: str) -> int | None:
    """Bytes of package-manager caches in the variant's layers (pip's ~/.cache/pip …), from the
    layer anatomy; None when the layers were not analysed or the variant failed."""
    found = row(results, variant)
    if found is None or found.status != "ok":
        return None
    rules = [b for b in results.rule_bytes if b.variant == variant and b.rule in CACHE_RULES]
    return sum(b.bytes for b in rules) if rules else None


def cache_parts(results: Results, variant: str) -> dict[str, int]:
    """The package-cache bytes in the variant's layers per place (``/var/lib/apt/lists/`` …),
    only the places that hold some."""
    return {
        "/" + b.prefixes.replace(", ", ", /"): b.bytes
        for b in results.rule_bytes
        if b.variant == variant and b.rule in CACHE_RULES and b.bytes
    }


def cache_paths() -> str:
    paths = dict.fromkeys(f"/{p}" for rule in CACHE_RULES for p in SIZE_RULE_PATHS[rule])
    return ", ".join(paths)


def rebuild_samples(results: Results, variant: str) -> list[float]:
    return [
        r.rebuild_s
        for r in results.rebuild_rows
        if r.variant == variant and r.status == "ok" and r.rebuild_s is not None
    ]


def rebuild_steps(results: Results, variant: str) -> int | None:
    steps = [
        r.steps_rebuilt
        for r in results.rebuild_rows
        if r.variant == variant and r.status == "ok" and r.steps_rebuilt is not None
    ]
    return max(steps) if steps else None
