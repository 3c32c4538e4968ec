"""Today's engines from Debian's own packages, into a directory of the kit's: Engine 26 (Debian 13
trixie's ``docker.io``) and the newest Debian engine (unstable's ``docker.io`` 28.x with its
``docker-cli``, ``docker-buildx`` and ``containerd`` 2.x).

Nothing of the system changes: apt runs with a sources list, lists and cache of the kit's own
(same mirror and keyring as the system's first source), ``apt-get download`` fetches the .debs
into the kit's state dir, where they stay cached, and ``dpkg-deb -x`` unpacks them into one
root per release. The engine then runs from that root (:mod:`kit.host.engines`) with the
system's ``runc``: unstable's needs a newer glibc than Debian 12's, and dockerd prefers binaries
beside itself, so none is kept in the root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from kit.errors import EngineError
from kit.host.apt import log_tail

#: Where the system's apt finds Debian (its first deb822 source) when nothing else says.
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
#: Binaries of the root that must not shadow the system's (see the module doc).
SHADOWING = ("usr/sbin/runc", "usr/bin/runc")


@dataclass(frozen=True)
class Release:
    """One engine the kit can bring up: its name on the command line, the Debian suite whose
    packages make it, and those packages."""

    name: str
    suite: str
    packages: tuple[str, ...]
    what: str


RELEASES: dict[str, Release] = {
    "26": Release(
        "26",
        "trixie",
        ("docker.io", "docker-cli", "docker-buildx", "containerd"),
        "Engine 26 (Debian 13 trixie's docker.io 26.1.5, containerd 1.7)",
    ),
    "28": Release(
        "28",
        "sid",
        ("docker.io", "docker-cli", "docker-buildx", "containerd"),
        "the newest Debian engine (unstable's docker.io 28.x, containerd 2.x)",
    ),
}


def release(name: str) -> Release:
    try:
        return RELEASES[name]
    except KeyError:
        raise EngineError(
            f"no engine {name!r} the kit can bring up from Debian's packages",
            hint=f"choose one of {', '.join(sorted(RELEASES))} (or `default`: the system's)",
        ) from None


def mirror_of(sources: str) -> tuple[str, str]:
    """The mirror URI and keyring of the first Debian source in a deb822 ``sources`` text (the
    system's ``debian.sources``), so the kit's apt reaches what the system's reaches."""
    uri, keyring = DEFAULT_MIRROR, DEFAULT_KEYRING
    for stanza in sources.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if ":" in line and not line.lstrip().startswith("#"):
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.strip()
        if "uris" in fields and "security" not in fields["uris"]:
            uri = fields["uris"].split()[0]
            keyring = fields.get("signed-by", keyring)
            break
    return uri, keyring


def sources_list(rel: Release, uri: str, keyring: str) -> str:
    """The one-line sources list of the kit's own apt for ``rel``'s suite."""
    return f"deb [signed-by={keyring}] {uri} {rel.suite} main\n"


def apt_options(home: Path) -> list[str]:
    """apt's options that keep its lists, cache and state under ``home``, away from the
    system's (whose sources, lists and dpkg state stay as they were)."""
    return [
        "-o",
        f"Dir::Etc::SourceList={home / 'sources.list'}",
        "-o",
        "Dir::Etc::SourceParts=/dev/null",
        "-o",
        f"Dir::State::Lists={home / 'lists'}",
        "-o",
        f"Dir::Cache={home / 'cache'}",
        "-o",
        f"Dir::State::status={home / 'status'}",
        "-o",
        "Debug::NoLocking=1",
    ]


@dataclass(frozen=True)
class Unpacked:
    """A release's packages unpacked: where, from which .debs, how many bytes they took to
    download, and how long fetching them took this time (0 when all were cached)."""

    root: Path
    debs: tuple[Path, ...]
    download_bytes: int
    fetch_s: float

    @property
    def dockerd(self) -> Path:
        return self.root / "usr" / "sbin" / "dockerd"

    @property
    def bin_path(self) -> str:
        """PATH for this engine: its root's binaries first, then the system's (its runc)."""
        return os.pathsep.join(
            [str(self.root / "usr" / "bin"), str(self.root / "usr" / "sbin"), os.defpath]
        )

    @property
    def buildx(self) -> Path:
        return self.root / "usr" / "libexec" / "docker" / "cli-plugins" / "docker-buildx"


def _run(cmd: list[str], log: Path, what: str) -> None:
    with log.open("ab") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if done.returncode:
        raise EngineError(
            f"{what} failed (`{' '.join(cmd[:2])} …` exit {done.returncode})",
            file=log,
            log_tail=log_tail(log),
            hint="check that the Debian mirror answers (the kit's apt uses the system's mirror)",
        )


def fetch(rel: Release, home: Path) -> tuple[tuple[Path, ...], float]:
    """The release's .debs under ``home/debs`` (downloaded once, then cached) and the seconds
    it took this time."""
    debs_dir = home / "debs" / rel.suite
    cached = tuple(sorted(debs_dir.glob("*.deb")))
    names = {p.name.split("_", 1)[0] for p in cached}
    if set(rel.packages) <= names:
        return cached, 0.0
    if shutil.which("apt-get") is None:
        raise EngineError(
            f"cannot fetch {rel.what}: no apt-get on this machine",
            hint="the kit brings engines up from Debian's packages on Debian/Ubuntu only; "
            "start one yourself and point DOCKER_HOST at it",
        )
    apt = home / "apt" / rel.suite
    for sub in ("lists/partial", "cache/archives/partial"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    (apt / "status").touch()
    system = Path("/etc/apt/sources.list.d/debian.sources")
    uri, keyring = mirror_of(system.read_text() if system.exists() else "")
    (apt / "sources.list").write_text(sources_list(rel, uri, keyring))
    log = home / "apt.log"
    started = time.monotonic()
    options = apt_options(apt)
    _run(["apt-get", *options, "update"], log, f"apt-get update for {rel.suite}")
    debs_dir.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        done = subprocess.run(
            ["apt-get", *options, "download", *rel.packages],
            cwd=debs_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode:
        raise EngineError(
            f"apt-get download of {', '.join(rel.packages)} from {rel.suite} failed",
            file=log,
            log_tail=log_tail(log),
        )
    return tuple(sorted(debs_dir.glob("*.deb"))), time.monotonic() - started


def unpack(rel: Release, home: Path) -> Unpacked:
    """The release's packages, fetched if needed, unpacked into ``home/roots/<suite>``."""
    debs, fetch_s = fetch(rel, home)
    root = home / "roots" / rel.suite
    stamp = root / ".kit-unpacked"
    wanted = "\n".join(p.name for p in debs)
    if not (stamp.exists() and stamp.read_text() == wanted):
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        for deb in debs:
            _run(["dpkg-deb", "-x", str(deb), str(root)], home / "apt.log", f"unpacking {deb.name}")
        for name in SHADOWING:
            (root / name).unlink(missing_ok=True)
        stamp.write_text(wanted)
    found = Unpacked(root, debs, sum(p.stat().st_size for p in debs), fetch_s)
    if not found.dockerd.exists():
        raise EngineError(f"{rel.what}: no dockerd in {root}", file=root)
    return found
