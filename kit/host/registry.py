"""A registry on 127.0.0.1 for push and pull timing: Debian's ``docker-registry`` (distribution
2.8) with its own storage in a temp dir, or one the caller already runs (:meth:`Registry.external`).

Only loopback: the engine treats 127.0.0.0/8 as an insecure registry by default, so plain http
works without touching the engine's configuration, and nothing listens beyond this machine.
Registry HTTP calls are not engine calls, so they do not go through :class:`kit.engine.Engine`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from kit.errors import KitError, RegistryError
from kit.host.apt import apt_install
from kit.host.manifest import Manifest as Manifest  # re-exported: Registry.manifest returns it
from kit.host.registry_http import read_manifest

#: Where Debian's package puts the binary; a module global so tests can point it elsewhere.
REGISTRY_BINARY = Path("/usr/bin/docker-registry")
PACKAGE = "docker-registry"
INSTALL_HINT = "install Debian's registry as root: `apt-get install docker-registry`"
START_TIMEOUT_S = 20.0
#: Attempts to start on a fresh port when another process takes ours between probe and bind.
PORT_ATTEMPTS = 4
_BLOBS = Path("docker/registry/v2/blobs/sha256")
_REPO = re.compile(r"[^a-z0-9._/-]+")


def slug(name: str) -> str:
    """A registry repository name for ``name`` (lowercase, ``[a-z0-9._/-]``, no leading dots)."""
    cleaned = _REPO.sub("-", name.lower())
    parts = [re.sub(r"[._-]{2,}", "-", p).strip("._-") for p in cleaned.split("/")]
    return "/".join(p for p in parts if p) or "image"


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def pick_port(preferred: int | None = None) -> int:
    """``preferred`` when nothing holds it on 127.0.0.1, else a port the kernel says is free."""
    if preferred is not None and port_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_text(storage: Path, port: int) -> str:
    """The registry's config. JSON is YAML, so no YAML writer is needed."""
    return json.dumps(
        {
            "version": "0.1",
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
            "http": {"addr": f"127.0.0.1:{port}"},
        },
        indent=1,
    )


def find_binary() -> Path:
    """The registry binary, installed with apt when missing (root on Debian/Ubuntu only)."""
    if REGISTRY_BINARY.exists():
        return REGISTRY_BINARY
    try:
        apt_install(PACKAGE)
    except KitError as exc:
        raise RegistryError(
            f"{REGISTRY_BINARY} is missing and could not be installed: {exc.message}",
            hint=INSTALL_HINT,
            log_tail=exc.log_tail,
        ) from exc
    if not REGISTRY_BINARY.exists():
        raise RegistryError(
            f"apt installed {PACKAGE} but {REGISTRY_BINARY} is still missing", hint=INSTALL_HINT
        )
    return REGISTRY_BINARY


class Registry:
    """A registry reachable at ``host`` (``127.0.0.1:PORT``, as image references spell it).

    Made by :func:`local_registry` (the kit runs it and owns ``storage``) or
    :meth:`external` (someone else's: it cannot be emptied and its storage is not visible).
    """

    def __init__(self, host: str, *, workdir: Path | None = None, port: int | None = None) -> None:
        self.host = host
        self.url = f"http://{host}"
        self._workdir = workdir
        self._port = port
        self._proc: subprocess.Popen[bytes] | None = None
        self._http = requests.Session()

    @classmethod
    def external(cls, url: str) -> Registry:
        host = re.sub(r"^https?://", "", url).rstrip("/")
        if not host:
            raise RegistryError(f"not a registry URL: {url!r}")
        return cls(host)

    @property
    def owned(self) -> bool:
        return self._workdir is not None

    @property
    def storage(self) -> Path | None:
        return None if self._workdir is None else self._workdir / "storage"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def running(self) -> bool:
        if not self.owned:
            return True
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle (owned only) ---------------------------------------------------------------
    def start(self, binary: Path, timeout_s: float = START_TIMEOUT_S) -> None:
        assert self._workdir is not None and self._port is not None and self.storage is not None
        self.storage.mkdir(parents=True, exist_ok=True)
        config = self._workdir / "config.yml"
        config.write_text(config_text(self.storage, self._port))
        log = self._workdir / "registry.log"
        with log.open("wb") as out:
            # Its own session: a Ctrl-C at the terminal reaches the kit, which stops it in order.
            self._proc = subprocess.Popen(
                [str(binary), "serve", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = log.read_text(errors="replace").splitlines()[-10:]
                self._proc = None
                raise RegistryError(
                    f"docker-registry exited at start on 127.0.0.1:{self._port}",
                    file=log,
                    log_tail=tail,
                )
            if self.answers():
                return
            time.sleep(0.05)
        self.stop()
        raise RegistryError(f"docker-registry did not answer on {self.url} in {timeout_s:g} s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def kill(self) -> None:
        """SIGKILL the registry process (a crash, for tests); ``empty()`` starts it again."""
        if self._proc is not None and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGKILL)

    def restart(self) -> None:
        """Start again on the same port with the same storage (after a crash, say)."""
        self.stop()
        self.start(find_binary())

    def empty(self) -> None:
        """Forget every blob and manifest, so the next push is cold: stop, wipe, start."""
        if not self.owned or self.storage is None:
            raise RegistryError(f"cannot empty the external registry {self.url}")
        self.stop()
        shutil.rmtree(self.storage, ignore_errors=True)
        self.start(find_binary())

    def keep(self, name: str | None = None) -> None:
        """Add what the registry stores now to its kept tree, for :meth:`restore_kept`; with
        ``name``, also keep exactly this state under that name (replacing an earlier one). Blobs
        are content-addressed and never written twice, so they are hard links; the small link
        files the registry may rewrite in place are copies."""
        if self.storage is None or self._workdir is None or not self.storage.is_dir():
            return
        _merge(self.storage, self._workdir / "kept")
        if (named := self._named(name)) is not None:
            shutil.rmtree(named, ignore_errors=True)
            _merge(self.storage, named)

    def has_kept(self, name: str) -> bool:
        return (named := self._named(name)) is not None and named.is_dir()

    def restore_kept(self, name: str | None = None) -> None:
        """Serve exactly what :meth:`keep` kept, all of it or the state kept as ``name``
        (nothing kept: an empty registry)."""
        kept = self._workdir / "kept" if name is None and self._workdir else self._named(name)
        if kept is None or self.storage is None or not kept.is_dir():
            self.empty()
            return
        self.stop()
        shutil.rmtree(self.storage, ignore_errors=True)
        _merge(kept, self.storage)
        self.start(find_binary())

    def _named(self, name: str | None) -> Path | None:
        return None if name is None or self._workdir is None else self._workdir / "as" / slug(name)

    def close(self) -> None:
        self.stop()
        self._http.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    # -- HTTP API -----------------------------------------------------------------------------
    def answers(self) -> bool:
        try:
            return self._http.get(f"{self.url}/v2/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def manifest(self, repository: str, tag: str, platform: str | None = None) -> Manifest:
        """The image ``repository:tag`` names (an index followed to ``platform``'s image,
        default this machine's), with its config's diff ids: :func:`read_manifest`."""
        return read_manifest(self._http, self.url, repository, tag, platform)

    def blob_digests(self) -> frozenset[str] | None:
        """Digests of every blob the registry stores (any repository); None when not ours."""
        if self.storage is None:
            return None
        root = self.storage / _BLOBS
        if not root.is_dir():
            return frozenset()
        # A blob is complete once its `data` file is in place (uploads land elsewhere first).
        return frozenset(
            f"sha256:{d.name}"
            for prefix in root.iterdir()
            for d in prefix.iterdir()
            if d.is_dir() and (d / "data").is_file()
        )


def _merge(source: Path, target: Path) -> None:
    for folder, _dirs, files in os.walk(source):
        into = target / Path(folder).relative_to(source)
        into.mkdir(parents=True, exist_ok=True)
        for name in files:
            if not (into / name).exists():
                place = os.link if name == "data" else shutil.copy2
                place(Path(folder) / name, into / name)


@contextlib.contextmanager
def local_registry(port: int | None = None) -> Iterator[Registry]:
    """Run a registry on 127.0.0.1 for the ``with`` block; stopped and wiped on every exit.

    ``port`` is a preference: when something holds it, another free port is used.
    """
    binary = find_binary()
    workdir = Path(tempfile.mkdtemp(prefix="kit-registry-"))
    registry: Registry | None = None
    try:
        for attempt in range(PORT_ATTEMPTS):
            chosen = pick_port(port if attempt == 0 else None)
            registry = Registry(f"127.0.0.1:{chosen}", workdir=workdir, port=chosen)
            try:
                registry.start(binary)
                break
            except RegistryError as exc:
                # Lost a race for the port: someone bound it between our probe and the registry.
                if attempt + 1 == PORT_ATTEMPTS or "address already in use" not in str(exc):
                    raise
        assert registry is not None
        yield registry
    finally:
        if registry is not None:
            registry.close()
        shutil.rmtree(workdir, ignore_errors=True)
