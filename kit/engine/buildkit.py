"""BuildKit through a docker CLI: the SDK drives only the classic builder (docker-py #2230), so a
BuildKit build is the one engine call the kit makes through the ``docker`` command.

Which CLI is found by asking each ``docker`` on PATH (and in the usual places) what it can do:
one with the buildx plugin builds with ``docker buildx build --load``; one older than 23.0 still
has BuildKit built in and builds with ``DOCKER_BUILDKIT=1 docker build`` (Debian's docker.io
20.10, for instance); a newer one without buildx cannot drive BuildKit at all. The CLI is
pointed at the engine the SDK talks to (``DOCKER_HOST``). Builds use the host network (the kit's
dockerd runs without a bridge), ``--progress=plain`` (parsed by :mod:`kit.engine.buildlog`) and
``--iidfile`` for the image id — with buildx, ``--metadata-file``'s ``containerimage.digest``
first: buildx writes the config digest to the iidfile whenever the exporter reports one
(``getImageID`` in buildx's commands/build.go), and on the containerd image store the image's id
is its manifest's (or index's) digest instead, so a build without attestations
(``BUILDX_NO_DEFAULT_ATTESTATIONS=1``) would name an image the engine does not know. The
exporter's image digest is the id on both stores (moby's classic exporter sets it to the image
id; the containerd one to the image's descriptor). The CLI runs in its own process group:
stopping the kit sends it SIGINT, which cancels the build on the engine, then waits for it to
exit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kit.engine.buildlog import PlainProgress, plain_progress_line
from kit.engine.labels import LOG_TAIL_LINES
from kit.engine.models import BuildRequest, BuildStream
from kit.errors import EngineGoneError
from kit.util.deadline import deadline

CANCEL_S = 15.0
ASK_S = 20.0
#: CLIs from this major version on need the buildx plugin for BuildKit.
BUILDX_REQUIRED_FROM = 23
_NOISE = re.compile(r"^#\d+ sha256:[0-9a-f]{64}\s*$")
_VERTEX_LINE = re.compile(r"^#\d+ ")
_GONE = re.compile(r"Cannot connect to the Docker daemon|Is the docker daemon running", re.I)


@dataclass(frozen=True)
class BuildKitCli:
    """A docker CLI that can drive BuildKit on the engine (``path`` None: none can, and
    ``note`` says why)."""

    path: str | None
    buildx: bool
    version: str
    host: str
    note: str
    #: ``docker buildx version``'s version ("0.29.1+ds1"), when it builds through buildx.
    buildx_version: str = ""
    #: What the CLI's environment says beyond the kit's own (an engine of ``kit engine up``:
    #: its ``DOCKER_CONFIG`` holding the buildx plugin, its ``PATH``).
    extra_env: tuple[tuple[str, str], ...] = ()

    @property
    def version_label(self) -> str:
        """What a run records as its builder's version."""
        if self.buildx:
            return f"buildx {self.buildx_version or '?'} (docker CLI {self.version})"
        return f"docker CLI {self.version} (BuildKit built in)"

    @property
    def available(self) -> bool:
        return self.path is not None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_CONTEXT"}
        return {**env, **dict(self.extra_env), "DOCKER_HOST": self.host, "DOCKER_BUILDKIT": "1"}

    def command(self, request: BuildRequest, iidfile: str, metadata: str = "") -> list[str]:
        assert self.path is not None, self.note
        cmd = [self.path, "buildx", "build", "--load"] if self.buildx else [self.path, "build"]
        r = request
        cmd += ["--progress=plain", "--network", r.network, "--iidfile", iidfile, "-t", r.tag]
        if self.buildx and metadata:
            cmd += ["--metadata-file", metadata]
        cmd += ["-f", str(Path(r.context) / r.dockerfile)]
        for key, value in r.labels.items():
            cmd += ["--label", f"{key}={value}"]
        for key, value in r.buildargs.items():
            cmd += ["--build-arg", f"{key}={value}"]
        if r.nocache:
            cmd.append("--no-cache")
        if r.target:
            cmd += ["--target", r.target]
        return [*cmd, r.context]

    def build(
        self,
        request: BuildRequest,
        *,
        on_line: Callable[[str], None] | None = None,
        timeout_s: float | None = None,
    ) -> BuildStream:
        """Build, streaming the plain progress; never raises for a failed build. Past
        ``timeout_s`` the build is cancelled (as Ctrl-C cancels it) and the result says so."""
        tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        progress = PlainProgress()
        expired = threading.Event()
        fd, iidfile = tempfile.mkstemp(prefix="kit-iid-")
        os.close(fd)
        fd, metadata = tempfile.mkstemp(prefix="kit-buildmeta-")
        os.close(fd)
        try:
            cmd = self.command(request, iidfile, metadata)
            with subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self.env(),
                start_new_session=True,
            ) as proc:
                # The reading loop blocks on the CLI's output, which a stuck step never ends:
                # a timer cancels the build from another thread as Ctrl-C does (:func:`_cancel`),
                # and the output then ends.
                timer = deadline(timeout_s, expired, lambda: _cancel(proc))
                try:
                    assert proc.stdout is not None
                    # Bytes, split at newlines only: a text stream would also end a line at a
                    # carriage return, which a step's progress counter prints within one.
                    for raw in proc.stdout:
                        line = plain_progress_line(raw.decode("utf-8", "replace").rstrip("\n"))
                        if not line.strip() or _NOISE.match(line):
                            continue
                        tail.append(line)
                        progress(line)
                        if on_line:
                            on_line(line)
                    code = proc.wait()
                except BaseException:
                    _cancel(proc)
                    raise
                finally:
                    if timer is not None:
                        timer.cancel()
                        timer.join()  # a cancel under way finishes before the result
            image_id = built_image_id(Path(iidfile), Path(metadata)) if code == 0 else ""
        finally:
            for path in (iidfile, metadata):
                with contextlib.suppress(OSError):
                    os.unlink(path)
        if image_id:  # finished, even if the limit ran out as it did
            return BuildStream(image_id, None, tuple(tail), progress.steps, "buildkit")
        if expired.is_set():
            error = f"cancelled after {timeout_s:g} s (the build's time limit)"
            return BuildStream(None, error, tuple(tail), progress.steps, "buildkit", True)
        error = _error(tail, code)
        if _GONE.search(error):
            raise EngineGoneError(f"the Docker engine stopped answering during build: {error}")
        return BuildStream(
            None, error, tuple(tail), progress.steps, "buildkit", False, progress.failed
        )


def built_image_id(iidfile: Path, metadata: Path) -> str:
    """The built image's id on the engine: the exporter's image digest from buildx's metadata
    file when it wrote one (see the module doc), else the iidfile's digest."""
    with contextlib.suppress(OSError, ValueError):
        found = json.loads(metadata.read_text() or "{}")
        digest = found.get("containerimage.digest") if isinstance(found, dict) else None
        if isinstance(digest, str) and digest.startswith("sha256:"):
            return digest
    return iidfile.read_text().strip()


def _error(tail: deque[str], code: int) -> str:
    """The CLI's own error line: the last line that is not a progress vertex's."""
    for line in reversed(tail):
        if not _VERTEX_LINE.match(line) and line.strip() not in ("------", ""):
            return line.strip().removeprefix("ERROR: ")
    return f"docker build exited {code}"


def _cancel(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT to the CLI's process group (the CLI cancels the build on the engine), a wait for
    it to exit, then SIGKILL to whatever is left of the group (a plugin such as buildx runs as
    the CLI's child)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=CANCEL_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _ask(
    cmd: list[str], host: str, extra: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str] | None:
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_CONTEXT"}
    try:
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=ASK_S,
            env={**env, **(extra or {}), "DOCKER_HOST": host},
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def candidates(
    extra: tuple[str, ...] = ("/usr/bin/docker", "/usr/local/bin/docker"), path: str | None = None
) -> list[str]:
    """Every distinct ``docker`` executable on ``path`` (default: PATH), then in the usual
    places."""
    found: list[str] = []
    seen: set[str] = set()
    dirs = (os.environ.get("PATH", "") if path is None else path).split(os.pathsep)
    for path in [str(Path(d) / "docker") for d in dirs if d] + list(extra):
        if shutil.which(path) and (real := os.path.realpath(path)) not in seen:
            seen.add(real)
            found.append(path)
    return found


def _release(version: str) -> tuple[int, int] | None:
    m = re.match(r"v?(\d+)\.(\d+)", version.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def buildx_version(said: str) -> str:
    """The version in ``docker buildx version``'s line ("github.com/docker/buildx v0.29.1 a1b2…"
    upstream, "github.com/docker/buildx 0.29.1+ds1 0.29.1+ds1-4" from Debian)."""
    words = said.split()
    return words[1].removeprefix("v") if len(words) > 1 else ""


def find_cli(
    host: str,
    server_version: str,
    clis: list[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> BuildKitCli:
    """The CLI to drive BuildKit with on the engine at ``host`` (a buildx one first), or an
    unavailable one whose note says what each candidate lacked; ``env``: what the CLI's
    environment adds for that engine (its ``PATH`` is also where the CLI is looked for)."""
    extra = dict(env or {})
    kept = tuple(sorted(extra.items()))
    server = _release(server_version)
    if server is not None and server < (18, 9):
        note = f"the engine ({server_version}) predates BuildKit (Docker 18.09)"
        return BuildKitCli(None, False, "", host, note)
    tried: list[str] = []
    legacy: BuildKitCli | None = None
    for cli in candidates(path=extra.get("PATH")) if clis is None else clis:
        asked = _ask([cli, "version", "--format", "{{.Client.Version}}"], host, extra)
        version = asked.stdout.strip().splitlines()[0] if asked and asked.stdout.strip() else ""
        buildx = _ask([cli, "buildx", "version"], host, extra)
        if buildx is not None and buildx.returncode == 0:
            note = f"{cli} {version} with buildx"
            said = buildx_version(buildx.stdout)
            return BuildKitCli(cli, True, version, host, note, said, kept)
        release = _release(version)
        if release is not None and release[0] < BUILDX_REQUIRED_FROM:
            note = f"{cli} {version}: DOCKER_BUILDKIT=1, no buildx needed"
            legacy = legacy or BuildKitCli(cli, False, version, host, note, "", kept)
        else:
            why = "does not run" if not version else "has no buildx plugin, which it needs"
            tried.append(f"{cli} {version}".strip() + f" {why}")
    if legacy is not None:
        return legacy
    reasons = "; ".join(tried) or "no docker CLI found on PATH"
    return BuildKitCli(None, False, "", host, f"no docker CLI can drive BuildKit: {reasons}")
