"""What an image holds: every file with its bytes, and every installed package with its size.

Read from a container that is created but never started, through the engine's export (one tar
of the filesystem with the layers already stacked, so each path appears once, as the running
container would see it). The package databases come out of the same stream: dpkg's ``status``
(``Installed-Size``, KiB), distroless's ``status.d/`` (one stanza per file) and apk's
``installed`` (``I:``, bytes). Reading the stream costs about as long as ``docker export`` of
the image: it is the price of a file list that does not depend on how layers are analysed.

The engine adds a few paths to every container (``/.dockerenv``, ``/etc/hosts``, ``hostname``,
``resolv.conf``, ``/dev/console``: its "init layer"); they are not the image's, so they are left
out (an image's own ``/etc/hosts`` goes with them). Bytes are what a file holds: a hard link's
second name, a symlink and a directory count 0, so the files' bytes add up to the filesystem's
content once.
"""

from __future__ import annotations

import re
import secrets
import tarfile
from dataclasses import dataclass

from kit.engine import RUN_LABEL, Engine
from kit.errors import ImageGoneError, LayerError

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"
APK_INSTALLED = "lib/apk/db/installed"
KIB = 1024
#: What the engine's init layer puts into every container (moby's daemon/initlayer).
INIT_LAYER = frozenset(
    {".dockerenv", "etc/hosts", "etc/hostname", "etc/resolv.conf", "dev/console"}
)


@dataclass(frozen=True)
class FileEntry:
    path: str  # absolute, as in the container
    bytes: int
    kind: str  # "file" | "symlink" | "hardlink" | "other" (devices, fifos)
    target: str | None = None  # a symlink's target as written; a hard link's first name


@dataclass(frozen=True)
class PackageEntry:
    name: str
    version: str
    bytes: int | None  # the package's own installed size; None when its database omits it


@dataclass(frozen=True)
class ImageContents:
    files: tuple[FileEntry, ...]
    packages: tuple[PackageEntry, ...]
    package_db: str | None  # "dpkg" | "apk"; None: the image has no package database


def _fields(stanza: str) -> dict[str, str]:
    found = {}
    for line in stanza.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line[:1].isspace():
            found[key.strip()] = value.strip()
    return found


def parse_dpkg(text: str) -> list[PackageEntry]:
    """Installed packages of a dpkg status file (or distroless status.d stanzas)."""
    found = []
    for stanza in re.split(r"\n\s*\n", text):
        fields = _fields(stanza)
        # distroless status.d stanzas carry no Status line: each file is an installed package.
        if not fields.get("Package") or fields.get("Status", "install ok installed") != (
            "install ok installed"
        ):
            continue
        size = fields.get("Installed-Size", "")
        found.append(
            PackageEntry(
                fields["Package"],
                fields.get("Version", ""),
                int(size) * KIB if size.isdigit() else None,
            )
        )
    return found


def parse_apk(text: str) -> list[PackageEntry]:
    """Installed packages of apk's database (``P:`` name, ``V:`` version, ``I:`` bytes)."""
    found = []
    for stanza in re.split(r"\n\s*\n", text):
        fields = {line[:1]: line[2:] for line in stanza.splitlines() if line[1:2] == ":"}
        if fields.get("P"):
            size = fields.get("I", "")
            found.append(
                PackageEntry(
                    fields["P"], fields.get("V", ""), int(size) if size.isdigit() else None
                )
            )
    return found


def _kind(member: tarfile.TarInfo) -> str:
    if member.isfile():
        return "file"
    if member.issym():
        return "symlink"
    return "hardlink" if member.islnk() else "other"


def read_contents(archive: tarfile.TarFile) -> ImageContents:
    """Files and packages of a filesystem tar read once, in order (a streaming tar is fine)."""
    files: list[FileEntry] = []
    dpkg: str | None = None
    status_d: list[str] = []
    apk: str | None = None
    for member in archive:
        name = member.name.removeprefix("./").lstrip("/")
        if member.isdir() or not name or name in INIT_LAYER:
            continue
        kind = _kind(member)
        target = member.linkname if kind == "symlink" else None
        if kind == "hardlink":
            target = "/" + member.linkname.removeprefix("./").lstrip("/")
        files.append(FileEntry("/" + name, member.size if member.isfile() else 0, kind, target))
        database = name in (DPKG_STATUS, APK_INSTALLED) or (
            name.startswith(DPKG_STATUS_D) and not name.endswith(".md5sums")
        )
        if not database or not member.isfile():
            continue
        data = archive.extractfile(member)
        text = data.read().decode("utf-8", "replace") if data is not None else ""
        if name == DPKG_STATUS:
            dpkg = text
        elif name == APK_INSTALLED:
            apk = text
        else:
            status_d.append(text)
    if dpkg is not None or status_d:
        db: str | None = "dpkg"
        packages = parse_dpkg(dpkg if dpkg is not None else "\n\n".join(status_d))
    elif apk is not None:
        db, packages = "apk", parse_apk(apk)
    else:
        db, packages = None, []
    return ImageContents(tuple(files), tuple(packages), db)


def image_contents(engine: Engine, image_ref: str) -> ImageContents:
    """Every file and installed package of an image; nothing in it runs."""
    if engine.images.inspect(image_ref) is None:
        raise ImageGoneError(f"image {image_ref} does not exist, so its files cannot be listed")
    container = engine.containers.create_idle(
        image_ref, labels={RUN_LABEL: f"contents-{secrets.token_hex(4)}"}
    )
    try:
        with engine.files.export(container) as archive:
            return read_contents(archive)
    except (tarfile.TarError, EOFError) as exc:
        raise LayerError(f"the export of {image_ref} cannot be read: {exc}") from exc
    finally:
        engine.containers.remove(container)
