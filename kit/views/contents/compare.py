"""The comparison behind the contents views: two variants' file lists and package lists from a
run's ``files`` and ``packages`` tables, and what one has that the other lacks. A path counts as
present when the other image has it after its own symlinks (:mod:`kit.views.contents.paths`)."""

from __future__ import annotations

from dataclasses import dataclass

from kit.errors import ResultsError, UsageError
from kit.model.results import Results
from kit.model.rows import FileRow, PackageRow
from kit.views.common import by_size
from kit.views.contents import memo
from kit.views.contents.paths import Namespace


@dataclass(frozen=True)
class Group:
    """Paths only one variant has: a directory none of whose paths the other has
    (``/usr/lib/gcc/``), or a single path."""

    path: str
    bytes: int
    files: int


@dataclass(frozen=True)
class Comparison:
    have: str
    lack: str
    only_files: tuple[FileRow, ...]  # paths ``have`` has and ``lack`` does not, largest first
    groups: tuple[Group, ...]  # the same, gathered into directories, largest first
    only_packages: tuple[PackageRow, ...]  # by name, largest first
    extra_files: tuple[FileRow, ...]  # paths ``lack`` has and ``have`` does not
    extra_packages: tuple[PackageRow, ...]
    files_have: int
    packages_have: int
    databases: tuple[bool, bool]  # whether each variant has a package database

    @property
    def only_bytes(self) -> int:
        return sum(f.bytes for f in self.only_files)

    @property
    def package_bytes(self) -> int:
        return sum(p.bytes or 0 for p in self.only_packages)


def pair(
    results: Results, have: str | None, lack: str | None, *, packages: bool = False
) -> tuple[str, str]:
    """The variants to compare: by default the largest against the smallest measured one (with
    ``packages``, the smallest that has a package database)."""
    listed = {f.variant for f in results.file_rows}
    ranked = [r for r in by_size(results) if r.variant in listed]
    if have is None and ranked:
        have = ranked[-1].variant
    if lack is None:
        small = [r for r in ranked if r.package_db is not None or not packages]
        lack = small[0].variant if small else None
    for name in (have, lack):
        if name is None or name not in listed:
            raise ResultsError(
                f"run {results.run.run_id} has no file list for {name or 'any variant'}: its "
                f"files were not listed (a failed variant, or measured with contents=False); "
                f"listed: {', '.join(sorted(listed)) or 'none'}",
                app=results.app,
                variant=name,
            )
    assert have is not None and lack is not None
    if have == lack:
        raise UsageError(f"compare two different variants, not {have} with itself")
    return have, lack


def _parents(path: str) -> list[str]:
    """``/a/b/c`` → ``/a``, ``/a/b``."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))]


def gather(only: list[FileRow], kept: list[str]) -> list[Group]:
    """Each path under the highest directory none of whose paths the other variant has
    (``kept``: the paths it does have)."""
    shared = {d for path in kept for d in _parents(path)}
    groups: dict[str, list[int]] = {}
    for row in only:
        top = next((d + "/" for d in _parents(row.path) if d not in shared), row.path)
        entry = groups.setdefault(top, [0, 0])
        entry[0] += row.bytes
        entry[1] += 1
    found = [Group(path, size, count) for path, (size, count) in groups.items()]
    return sorted(found, key=lambda g: (-g.bytes, g.path))


def compare(
    results: Results, have: str | None = None, lack: str | None = None, *, packages: bool = False
) -> Comparison:
    have, lack = pair(results, have, lack, packages=packages)
    files = {v: {f.path: f for f in results.file_rows if f.variant == v} for v in (have, lack)}
    installed = {
        v: {p.name: p for p in results.package_rows if p.variant == v} for v in (have, lack)
    }
    rows = {r.variant: r for r in results.image_rows}

    def largest(found: list[FileRow]) -> tuple[FileRow, ...]:
        return tuple(sorted(found, key=lambda f: (-f.bytes, f.path)))

    def largest_packages(found: list[PackageRow]) -> tuple[PackageRow, ...]:
        return tuple(sorted(found, key=lambda p: (-(p.bytes or 0), p.name)))

    def select() -> memo.Selection:
        """Which paths each variant lacks of the other's, and the first's gathered: the slow
        part (every alias of every path), remembered by :mod:`kit.views.contents.memo`."""
        spaces = {v: Namespace(files[v].values()) for v in (have, lack)}

        def split(variant: str, other: str) -> tuple[list[FileRow], list[str]]:
            """The variant's paths the other lacks, and those it has (by any of their names)."""
            mine, theirs = spaces[variant], spaces[other]
            lacking: list[FileRow] = []
            kept: list[str] = []
            for path, f in files[variant].items():
                if any(theirs.has(name) for name in mine.aliases(path)):
                    kept.append(path)
                else:
                    lacking.append(f)
            return lacking, kept

        only, kept = split(have, lack)
        extra, _ = split(lack, have)
        return {
            "only": [f.path for f in only],
            "extra": [f.path for f in extra],
            "groups": [[g.path, g.bytes, g.files] for g in gather(only, kept)],
        }

    found = memo.remembered(
        [memo.variant_digest(results, v) for v in (have, lack)],
        select,
    )
    only = [files[have][path] for path in found["only"]]
    extra = [files[lack][path] for path in found["extra"]]
    return Comparison(
        have=have,
        lack=lack,
        only_files=largest(only),
        groups=tuple(Group(path, size, count) for path, size, count in found["groups"]),
        only_packages=largest_packages(
            [p for name, p in installed[have].items() if name not in installed[lack]]
        ),
        extra_files=largest(extra),
        extra_packages=largest_packages(
            [p for name, p in installed[lack].items() if name not in installed[have]]
        ),
        files_have=len(files[have]),
        packages_have=len(installed[have]),
        databases=(
            rows[have].package_db is not None if have in rows else bool(installed[have]),
            rows[lack].package_db is not None if lack in rows else bool(installed[lack]),
        ),
    )
