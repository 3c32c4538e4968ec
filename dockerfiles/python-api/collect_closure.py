#!/usr/bin/env python3
"""Collect a Python service's runtime closure into a directory, for a ``FROM scratch`` image.

Run in a build stage, with the service's exact command after ``--``::

    python3 collect_closure.py --out /closure -- /opt/venv/bin/python /app/app.py

1. Record: starts the command with a ``sitecustomize`` (put first on ``PYTHONPATH``) that writes,
   when the interpreter exits, every loaded module's ``__file__`` and ``__cached__``, ``sys.path``,
   ``sys.prefix``/``sys.base_prefix`` and ``/proc/self/maps``. It waits until
   ``GET http://127.0.0.1:$PORT<path>`` answers 200 -- so what a request imports is loaded too --
   then stops the service with SIGTERM.
2. Copy, each at its own path under ``--out``: the command's executable (its symlink chain: a
   venv's ``bin/python`` -> ``/usr/bin/python3`` -> ``python3.11``), ``pyvenv.cfg`` when it runs
   in a venv, the recorded modules (``.py`` and their ``.pyc``), every mapped file (interpreter,
   extension modules, shared libraries, dlopen()ed ones included), the shared-library closure of
   every ELF file from ``ldd`` -- the dynamic loader at its ``PT_INTERP`` path included -- and
   ``/etc/ld.so.cache``. Symlinks are recreated as symlinks (``/lib`` -> ``usr/lib``,
   ``libz.so.1`` -> ``libz.so.1.2.13``), so the loader finds libraries by their soname.
3. Smoke test: runs the command again chrooted into ``--out`` and probes it; a closure that
   misses anything the service loads fails the build here, not in production.

Limits: it sees what one start and one request load. A module imported lazily on another code
path (another URL, an error handler, ``mimetypes``' data files, time zones, NSS/DNS files,
locales, ``/etc/ssl`` certificates) is not collected; name such files with ``--extra`` or drive
those paths during the recording. Files the service merely ``open()``s are not traced (strace
would be needed for that). It is stdlib-only, run by the build stage's python3.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

SITECUSTOMIZE = r"""
# Written by collect_closure.py: records what this interpreter loaded, when it exits. Only
# builtin modules are imported here, so the recording adds no files of its own.
import atexit
import sys

import _signal


def _closure_dump():
    import os

    with open(os.environ["CLOSURE_DUMP"], "w") as out:
        for module in list(sys.modules.values()):
            for attr in ("__file__", "__cached__"):
                path = getattr(module, attr, None)
                if isinstance(path, str):
                    out.write("F\t" + path + "\n")
        for entry in sys.path:
            out.write("P\t" + entry + "\n")
        out.write("V\t" + sys.prefix + "\t" + sys.base_prefix + "\n")
        with open("/proc/self/maps") as maps:
            for line in maps:
                out.write("M\t" + line)


atexit.register(_closure_dump)
# SIGTERM becomes SystemExit, so serve_forever() unwinds and atexit runs.
_signal.signal(_signal.SIGTERM, lambda *_: sys.exit(0))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(proc: subprocess.Popen[bytes], port: int, path: str, timeout: float) -> None:
    url = f"http://127.0.0.1:{port}{path}"
    deadline = time.monotonic() + timeout
    last: Exception | str = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"collect_closure: the service exited ({proc.returncode}) early")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    answer.read()
                    return
                last = f"HTTP {answer.status}"
        except (OSError, urllib.error.URLError) as exc:
            last = exc
        time.sleep(0.1)
    raise SystemExit(f"collect_closure: {url} did not answer 200 within {timeout}s: {last}")


def stop(proc: subprocess.Popen[bytes]) -> bytes:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def record(cmd: list[str], workdir: str, path: str, timeout: float) -> list[tuple[str, ...]]:
    """Start the service with the recording sitecustomize; return the dump's rows."""
    with tempfile.TemporaryDirectory(prefix="closure-") as tmp:
        Path(tmp, "sitecustomize.py").write_text(SITECUSTOMIZE)
        dump = Path(tmp, "dump.tsv")
        port = free_port()
        env = {
            **os.environ,
            "PORT": str(port),
            "CLOSURE_DUMP": str(dump),
            "PYTHONPATH": os.pathsep.join(filter(None, [tmp, os.environ.get("PYTHONPATH")])),
        }
        proc = subprocess.Popen(
            cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            wait_http(proc, port, path, timeout)
        except SystemExit:
            sys.stderr.write(stop(proc).decode(errors="replace"))
            raise
        log = stop(proc)
        if not dump.exists():
            sys.stderr.write(log.decode(errors="replace"))
            raise SystemExit("collect_closure: the service exited without writing its record")
        rows = [tuple(line.split("\t")) for line in dump.read_text().splitlines()]
        # The recorder's own sitecustomize is no part of the service.
        return [r for r in rows if not (r[0] in "FP" and r[1].startswith(tmp))]


class Closure:
    """Copies paths into ``out`` at the same place, recreating every symlink on the way."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.done: set[str] = set()
        self.files: list[str] = []  # real files copied (their resolved paths)

    def add(self, path: str) -> None:
        path = os.path.normpath(path)
        if path in self.done or not os.path.lexists(path):
            return
        self.done.add(path)
        parts = path.strip("/").split("/")
        current = "/"
        for i, part in enumerate(parts):
            nxt = os.path.join(current, part)
            if os.path.islink(nxt):
                target = os.readlink(nxt)
                dst = self.out / nxt.lstrip("/")
                dst.parent.mkdir(parents=True, exist_ok=True)
                if not os.path.lexists(dst):
                    os.symlink(target, dst)
                resolved = os.path.normpath(os.path.join(current, target))
                self.add(os.path.join(resolved, *parts[i + 1 :]))
                return
            current = nxt
        dst = self.out / path.lstrip("/")
        if os.path.isdir(path):
            dst.mkdir(parents=True, exist_ok=True)
            return
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dst)  # keeps mtimes, so the copied .pyc files stay valid
        self.files.append(path)


def is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def ldd(path: str) -> list[str]:
    """The shared libraries ``path`` needs, as the loader finds them, and the loader itself."""
    done = subprocess.run(["ldd", path], capture_output=True, text=True)
    if done.returncode:  # static binaries, or not a dynamic object: nothing to add
        return []
    found = []
    for line in done.stdout.splitlines():
        if "not found" in line:
            raise SystemExit(f"collect_closure: {path}: {line.strip()}")
        for token in line.replace("=>", " ").split():
            if token.startswith("/"):
                found.append(token)
    return found


def soname_links(path: str) -> list[str]:
    """Symlinks next to a library that point at it (``libfoo.so.1`` -> ``libfoo.so.1.2.3``)."""
    real = os.path.realpath(path)
    folder = os.path.dirname(path)
    return [
        str(entry)
        for entry in Path(folder).iterdir()
        if entry.is_symlink() and os.path.realpath(entry) == real
    ]


def collect(rows: list[tuple[str, ...]], cmd: list[str], out: Path, extra: list[str]) -> Closure:
    closure = Closure(out)
    exe = cmd[0] if "/" in cmd[0] else (shutil.which(cmd[0]) or cmd[0])
    closure.add(exe)
    for row in rows:
        if row[0] == "F":
            closure.add(row[1])
        elif row[0] == "P" and row[1].endswith("lib-dynload"):
            closure.add(row[1])  # getpath's landmark for the platform stdlib, even when empty
        elif row[0] == "V" and row[1] != row[2]:
            closure.add(os.path.join(row[1], "pyvenv.cfg"))
        elif row[0] == "M":
            fields = row[1].split(None, 5)
            if len(fields) == 6 and fields[5].startswith("/") and "(deleted)" not in fields[5]:
                mapped = fields[5].strip()
                if not mapped.startswith(("/dev/", "/proc/", "/sys/", "/memfd:")):
                    closure.add(mapped)
                    for link in soname_links(mapped):
                        closure.add(link)
    for path in ["/etc/ld.so.cache", *extra]:
        closure.add(path)
    # The loader and the libraries ELF files need, under the names the loader looks for.
    pending = [f for f in closure.files if is_elf(f)]
    seen: set[str] = set()
    while pending:
        elf = pending.pop()
        if elf in seen:
            continue
        seen.add(elf)
        for lib in ldd(elf):
            closure.add(lib)
            real = os.path.realpath(lib)
            if real not in seen:
                pending.append(real)
    return closure


def smoke_test(cmd: list[str], out: Path, workdir: str, path: str, timeout: float) -> None:
    """Run the service chrooted into the closure, as the scratch image will, and probe it."""
    port = free_port()

    def enter() -> None:
        os.chroot(out)
        os.chdir(workdir)

    env = {"PORT": str(port), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    proc = subprocess.Popen(
        cmd, cwd="/", env=env, preexec_fn=enter, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_http(proc, port, path, timeout)
    except SystemExit:
        sys.stderr.write(stop(proc).decode(errors="replace"))
        raise
    stop(proc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="where the closure goes")
    parser.add_argument("--path", default="/", help="URL path to GET once the service is up")
    parser.add_argument("--workdir", default="/", help="the service's working directory")
    parser.add_argument("--extra", action="append", default=[], help="another file to include")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--no-smoke-test", action="store_true")
    parser.add_argument("cmd", nargs="+", help="the service command (after --)")
    args = parser.parse_args()

    rows = record(args.cmd, args.workdir, args.path, args.timeout)
    args.out.mkdir(parents=True, exist_ok=True)
    closure = collect(rows, args.cmd, args.out, args.extra)
    (args.out / "tmp").mkdir(mode=0o1777, exist_ok=True)
    os.chmod(args.out / "tmp", 0o1777)
    total = sum(os.path.getsize(f) for f in closure.files)
    print(f"collect_closure: {len(closure.files)} files, {total / 1e6:.1f} MB into {args.out}")
    for f in sorted(closure.files, key=os.path.getsize, reverse=True)[:12]:
        print(f"  {os.path.getsize(f):>10}  {f}")
    if not args.no_smoke_test:
        smoke_test(args.cmd, args.out, args.workdir, args.path, args.timeout)
        print("collect_closure: the service answers from inside the closure (chroot)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
