"""What one variant has and another lacks, as tables, narration and stable facts; every number
from the run's ``files`` and ``packages`` tables."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from kit.model.results import Results
from kit.util.units import MB, fmt_bytes
from kit.views.common import Markdown, by_size
from kit.views.contents.compare import compare, pair

What = Literal["dirs", "files", "packages"]


def _mb(n: int | None) -> float | None:
    return None if n is None else round(n / MB, 2)


def diff(
    results: Results,
    have: str | None = None,
    lack: str | None = None,
    *,
    what: What = "dirs",
    top: int | None = 20,
) -> pd.DataFrame:
    """What ``have`` holds and ``lack`` does not, largest first (default: the largest variant
    against the smallest). ``what``: ``dirs`` (paths gathered into the highest directory none
    of whose paths ``lack`` has), ``files`` (each path), ``packages`` (by name; the default
    ``lack`` is then the smallest variant with a package database)."""
    found = compare(results, have, lack, packages=what == "packages")
    rows: list[dict[str, object]]
    if what == "packages":
        rows = [
            {"package": p.name, "version": p.version, "size_MB": _mb(p.bytes)}
            for p in found.only_packages
        ]
    elif what == "files":
        rows = [{"path": f.path, "kind": f.kind, "size_MB": _mb(f.bytes)} for f in found.only_files]
    else:
        rows = [{"path": g.path, "files": g.files, "size_MB": _mb(g.bytes)} for g in found.groups]
    frame = pd.DataFrame(rows, columns=None if rows else ["path", "size_MB"])
    return frame.head(top) if top is not None else frame


def table(results: Results, have: str | None = None) -> pd.DataFrame:
    """Every other variant against ``have`` (default: the largest): the files and packages it
    leaves out, and those it adds."""
    listed = {f.variant for f in results.file_rows}
    ranked = [r.variant for r in by_size(results) if r.variant in listed]
    have = have or (ranked[-1] if ranked else None)
    if have is None or have not in listed:
        pair(results, have, have)  # raises: says which variants have a file list
    rows = []
    for row in by_size(results):
        if row.variant == have or row.variant not in listed:
            continue
        found = compare(results, have, row.variant)
        rows.append(
            {
                "variant": row.variant,
                "size_MB": _mb(row.size_bytes),
                f"files {have} has, it lacks": len(found.only_files),
                "their MB": _mb(found.only_bytes),
                f"packages {have} has, it lacks": len(found.only_packages)
                if all(found.databases)
                else None,
                "their installed MB": _mb(found.package_bytes) if all(found.databases) else None,
                "files it adds": len(found.extra_files),
                "added MB": _mb(sum(f.bytes for f in found.extra_files)),
            }
        )
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column.startswith(("files ", "packages ")):  # counts; empty where not compared
            frame[column] = frame[column].astype("Int64")
    return frame


def _names(items: list[tuple[str, int | None]], count: int = 5) -> str:
    return ", ".join(f"`{name}` ({fmt_bytes(size)})" for name, size in items[:count])


def narrate(results: Results, have: str | None = None, lack: str | None = None) -> Markdown:
    """What ``lack`` leaves out of ``have`` (and adds), in a few sentences."""
    found = compare(results, have, lack)
    have, lack = found.have, found.lack
    parts = [
        f"**{lack}** lacks {len(found.only_files):,} of **{have}**'s {found.files_have:,} "
        f"paths: **{fmt_bytes(found.only_bytes)}** of file content. The largest places: "
        + _names([(g.path, g.bytes) for g in found.groups])
        + "."
    ]
    if all(found.databases):
        parts.append(
            f"It lacks {len(found.only_packages)} of {have}'s {found.packages_have} packages "
            f"({fmt_bytes(found.package_bytes)} installed), the largest "
            + _names([(p.name, p.bytes) for p in found.only_packages])
            + "."
        )
    else:
        without = [v for v, db in zip((have, lack), found.databases, strict=True) if not db]
        parts.append(
            f"{' and '.join(without)} has no package database, so packages are not compared: "
            "its files say what it holds."
        )
    if found.extra_files:
        parts.append(
            f"In turn, {lack} has {len(found.extra_files):,} paths {have} lacks "
            f"({fmt_bytes(sum(f.bytes for f in found.extra_files))}), e.g. "
            + _names([(f.path, f.bytes) for f in found.extra_files], 3)
            + "."
        )
    return Markdown("\n\n".join(parts))


def facts(results: Results, have: str | None = None, lack: str | None = None) -> str:
    """Lines a rerun on the same bases reproduces: which of the packages one variant leaves out
    are the largest (sizes from the package database, not from a build; three, far apart), and
    how many it adds. Default: the largest variant against the smallest with a package
    database."""
    found = compare(results, have, lack, packages=True)
    head = f"{found.have} vs {found.lack}"
    if not all(found.databases):
        return f"{head}: packages not compared (no package database in one of them)"
    names = ", ".join(p.name for p in found.only_packages[:3])
    return "\n".join(
        [
            f"{head}: largest packages left out: {names or 'none'}",
            f"{head}: packages added: {len(found.extra_packages)}",
        ]
    )
