"""Just enough ELF to follow the dynamic loader (PT_INTERP, DT_NEEDED, DT_RUNPATH/DT_RPATH), and
the image's files as the loader would find them, read from its overlay2 layer folders.

Only the headers and the dynamic string table are read, never a whole library (libnode is 46 MB).
The search order is the loader's without ``ld.so.cache`` and ``LD_PRELOAD``: the object's RPATH
(ignored when it has a RUNPATH), the extra directories (the image's ``LD_LIBRARY_PATH``), its
RUNPATH, then the default and multiarch directories; the first candidate of the same class and
machine wins.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29
#: e_machine → the Debian multiarch triple of its library directories.
TRIPLES = {
    62: "x86_64-linux-gnu",
    183: "aarch64-linux-gnu",
    3: "i386-linux-gnu",
    40: "arm-linux-gnueabihf",
}


@dataclass(frozen=True)
class ElfDeps:
    elf_class: int  # 1: 32-bit, 2: 64-bit
    machine: int
    interp: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]  # $ORIGIN not expanded; empty when there is a RUNPATH
    runpath: tuple[str, ...]


def _string(f: BinaryIO, offset: int) -> str:
    f.seek(offset)
    raw = b""
    while b"\0" not in raw:
        chunk = f.read(256)
        if not chunk:
            break
        raw += chunk
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def read_deps(f: BinaryIO) -> ElfDeps | None:
    """The loader-relevant facts of one ELF file; None when it is not ELF (or is truncated)."""
    try:
        return _read_deps(f)
    except (struct.error, ValueError, OSError):
        return None


def _read_deps(f: BinaryIO) -> ElfDeps | None:
    ident = f.read(64)
    if len(ident) < 52 or ident[:4] != b"\x7fELF" or ident[4] not in (1, 2):
        return None
    cls, end = ident[4], "<" if ident[5] == 1 else ">"
    machine = struct.unpack_from(end + "H", ident, 18)[0]
    if cls == 2:
        phoff = struct.unpack_from(end + "Q", ident, 32)[0]
        phentsize, phnum = struct.unpack_from(end + "HH", ident, 54)
        phdr, dyn = end + "IIQQQQQQ", end + "qQ"
    else:
        phoff = struct.unpack_from(end + "I", ident, 28)[0]
        phentsize, phnum = struct.unpack_from(end + "HH", ident, 42)
        phdr, dyn = end + "IIIIIIII", end + "iI"
    loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
    interp: str | None = None
    dynamic: tuple[int, int] | None = None
    for index in range(phnum):
        f.seek(phoff + index * phentsize)
        fields = struct.unpack(phdr, f.read(struct.calcsize(phdr)))
        if cls == 2:
            ptype, offset, vaddr, filesz = fields[0], fields[2], fields[3], fields[5]
        else:
            ptype, offset, vaddr, filesz = fields[0], fields[1], fields[2], fields[4]
        if ptype == PT_LOAD:
            loads.append((vaddr, filesz, offset))
        elif ptype == PT_INTERP:
            f.seek(offset)
            interp = f.read(filesz).split(b"\0", 1)[0].decode("utf-8", "replace") or None
        elif ptype == PT_DYNAMIC:
            dynamic = (offset, filesz)
    entries: list[tuple[int, int]] = []
    if dynamic is not None:
        f.seek(dynamic[0])
        data = f.read(dynamic[1])
        size = struct.calcsize(dyn)
        for start in range(0, len(data) - size + 1, size):
            tag, value = struct.unpack_from(dyn, data, start)
            if tag == DT_NULL:
                break
            entries.append((tag, value))
    strtab = next((v for t, v in entries if t == DT_STRTAB), None)
    # DT_STRTAB is an address; the string table is found in the file through the load segments.
    base = next(
        (o + strtab - a for a, s, o in loads if strtab is not None and a <= strtab < a + s), None
    )
    if base is None:
        return ElfDeps(cls, machine, interp, (), (), ())

    def strings(tag: int) -> tuple[str, ...]:
        found = [_string(f, base + v) for t, v in entries if t == tag]
        return tuple(d for s in found for d in (s.split(":") if tag != DT_NEEDED else [s]) if d)

    runpath = strings(DT_RUNPATH)
    rpath = () if runpath else strings(DT_RPATH)
    return ElfDeps(cls, machine, interp, strings(DT_NEEDED), rpath, runpath)


def default_dirs(deps: ElfDeps) -> tuple[str, ...]:
    triple = TRIPLES.get(deps.machine)
    multiarch = (f"/lib/{triple}", f"/usr/lib/{triple}") if triple else ()
    lib64 = ("/lib64", "/usr/lib64") if deps.elf_class == 2 else ("/lib32", "/usr/lib32")
    return (*multiarch, *lib64, "/lib", "/usr/lib", "/usr/local/lib")


#: image path → (the path with symlinks resolved, the host file holding it), None when absent.
Lookup = Callable[[str], tuple[str, Path] | None]


def _deps_of(host: Path) -> ElfDeps | None:
    try:
        with host.open("rb") as f:
            return read_deps(f)
    except OSError:
        return None


def loader_closure(
    start: Iterable[str], lookup: Lookup, extra_dirs: Iterable[str] = ()
) -> set[str]:
    """``start`` plus every loader and library the loader would map for them, transitively.

    Paths are image paths with symlinks resolved; names that cannot be found are left out (the
    process would not have started, so the trace decides what the floor is).
    """
    extra = tuple(extra_dirs)
    found: set[str] = set()
    todo = list(start)
    while todo:
        hit = lookup(todo.pop())
        if hit is None or hit[0] in found:
            continue
        path, host = hit
        found.add(path)
        deps = _deps_of(host)
        if deps is None:
            continue
        if deps.interp:
            todo.append(deps.interp)
        origin = posixpath.dirname(path)
        rpath, runpath = (
            [d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin) for d in dirs]
            for dirs in (deps.rpath, deps.runpath)
        )
        search = (*rpath, *extra, *runpath, *default_dirs(deps))
        for name in deps.needed:
            candidates = [name] if "/" in name else [posixpath.join(d, name) for d in search]
            for candidate in candidates:
                lib = lookup(candidate)
                other = _deps_of(lib[1]) if lib else None
                # A 32-bit libc next to the 64-bit one is not what this object would load.
                if (
                    lib
                    and other
                    and (other.elf_class, other.machine) == (deps.elf_class, deps.machine)
                ):
                    todo.append(lib[0])
                    break
    return found


class ImageFs:
    """Path lookup in an image's overlay2 layer folders, as the merged mount would show it."""

    def __init__(self, layers: Sequence[str]) -> None:
        self.layers = [Path(layer) for layer in layers]

    def _entry(self, rel: str) -> Path | None:
        parts = rel.split("/")
        for layer in self.layers:
            try:
                found = os.lstat(layer / rel)
            except (FileNotFoundError, NotADirectoryError):
                found = None
            if found is not None:  # overlay2 stores a whiteout as a 0:0 character device
                return None if stat.S_ISCHR(found.st_mode) and found.st_rdev == 0 else layer / rel
            for depth in range(1, len(parts)):
                folder = layer.joinpath(*parts[:depth])
                try:
                    mode = os.lstat(folder).st_mode
                except OSError:
                    break
                if not stat.S_ISDIR(mode) or _opaque(folder):
                    return None  # deleted or replaced in this layer: nothing below shows
        return None

    def resolve(self, path: str) -> tuple[str, Path] | None:
        """``path`` with symlinks resolved inside the image, and its host file (regular files)."""
        todo = [p for p in path.split("/") if p][::-1]
        done: list[str] = []
        hops = 0
        while todo:
            part = todo.pop()
            if part in (".", ".."):
                if part == ".." and done:
                    done.pop()
                continue
            entry = self._entry("/".join([*done, part]))
            if entry is None:
                return None
            if entry.is_symlink():
                hops += 1
                if hops > 40:  # the kernel's own limit on a symlink loop
                    return None
                target = os.readlink(entry)
                if target.startswith("/"):
                    done = []
                todo.extend(p for p in reversed(target.split("/")) if p)
                continue
            done.append(part)
        host = self._entry("/".join(done)) if done else None
        return ("/" + "/".join(done), host) if host and host.is_file() else None


def _opaque(folder: Path) -> bool:
    for name in ("trusted.overlay.opaque", "user.overlay.opaque"):
        with contextlib.suppress(OSError):
            if os.getxattr(folder, name) == b"y":
                return True
    return False
