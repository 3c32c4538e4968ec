"""The embedded bases keep the official images' contracts, each checked by running a command in a
container of the base (network none) and comparing with what the official image documents:

- node:18 / node:18-slim: a ``node`` user and group 1000:1000, home /home/node, shell bash;
  ``docker-entrypoint.sh`` runs node when the first argument is not a command; ``npm install -g``
  lands on PATH;
- python:3.11 / python:3.11-slim: ``python``, ``python3``, ``pip``, ``pip3`` on PATH, ``pip
  install`` as root, ``python -m venv``, LANG=C.UTF-8, the interpreter at one path in every class;
- gcr.io/distroless/nodejs18-debian12 and python3-debian12 (our runtime bases): no shell, the
  interpreter as entrypoint, root by default and uid 65532 in their ``:nonroot`` form;
- debian:12 / debian:12-slim and busybox: what Dockerfiles on them rely on.

Expected values come from those images' documentation (see ../shared/README.md §8), and sizes
from the engine's own inspect, never from the kit's code.
"""

from __future__ import annotations

import hashlib
import shlex
from typing import Any

import pytest
from prereq import need_image

from kit.engine import RUN_LABEL, Engine
from kit.host.bases import BASES

NODE_FULL, NODE_SLIM = "kitbase/node:18-full", "kitbase/node:18-slim"
NODE_RT, NODE_RT_NONROOT = "kitbase/node:18-runtime", "kitbase/node:18-runtime-nonroot"
PY_FULL, PY_SLIM = "kitbase/python:3.11-full", "kitbase/python:3.11-slim"
PY_RT, PY_RT_NONROOT = "kitbase/python:3.11-runtime", "kitbase/python:3.11-runtime-nonroot"
DEBIAN, DEBIAN_SLIM, BUSYBOX = "kitbase/debian:12", "kitbase/debian:12-slim", "kitbase/busybox:1"
SHA_X = hashlib.sha256(b"x").hexdigest()

# A wheel made by hand (a zip with the dist-info files), installed with pip as root, offline.
MAKE_AND_INSTALL_WHEEL = """
import subprocess, zipfile
wheel = "/tmp/kit_probe-1.0-py3-none-any.whl"
info = "kit_probe-1.0.dist-info/"
with zipfile.ZipFile(wheel, "w") as z:
    z.writestr("kit_probe/__init__.py", "ANSWER = 42\\n")
    z.writestr(info + "METADATA", "Metadata-Version: 2.1\\nName: kit-probe\\nVersion: 1.0\\n")
    z.writestr(info + "WHEEL", "Wheel-Version: 1.0\\nGenerator: by-hand\\n"
               "Root-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr(info + "RECORD", "")
subprocess.run(["pip", "install", "--no-index", "--no-cache-dir", "-q", wheel], check=True)
"""
PIP_AS_ROOT = (
    f"python -c {shlex.quote(MAKE_AND_INSTALL_WHEEL)} 2>/dev/null"
    " && python -c 'import kit_probe; print(kit_probe.ANSWER, kit_probe.__file__)'"
)
NPM_GLOBAL = (
    "mkdir /tmp/hello && cd /tmp/hello"
    ' && echo \'{"name":"hello-kit","version":"1.0.0","bin":{"hello-kit":"cli.js"}}\''
    " > package.json"
    " && printf '#!/usr/bin/env node\\nconsole.log(\"hello from a global package\")\\n' > cli.js"
    " && npm install -g --offline --no-audit --no-fund /tmp/hello >/dev/null 2>&1"
    " && command -v hello-kit && hello-kit"
)
IN_VENV = "import pip, sys; print(sys.prefix, pip.__file__)"
WHICH_PY = "for c in python python3 pip pip3; do command -v $c; done"
REAL_PY = "import os, sys; print(os.path.realpath(sys.executable))"
NO_TOOLS = (
    "/bin/sh",
    "/usr/bin/bash",
    "/usr/bin/apt-get",
    "/usr/bin/dpkg",
    "/usr/bin/npm",
    "/usr/bin/pip",
)
JS_NO_TOOLS = f"console.log({list(NO_TOOLS)}.filter(p => require('fs').existsSync(p)).length)"
PY_NO_TOOLS = f"import os; print(len([p for p in {NO_TOOLS!r} if os.path.exists(p)]))"
JS_WHO = (
    "const os = require('os');"
    "console.log(process.getuid(), process.getgid(), os.userInfo().username, process.cwd())"
)
PY_WHO = (
    "import os, pwd; print(os.getuid(), os.getgid(), pwd.getpwuid(os.getuid())[0], os.getcwd())"
)

# (base, command, expected output, user): the command runs under the image's own entrypoint.
CONTRACTS: list[tuple[str, list[str], str, str]] = [
    # -- node:18 and node:18-slim ---------------------------------------------------------------
    *[
        row
        for base in (NODE_FULL, NODE_SLIM)
        for row in (
            (base, ["id", "node"], "uid=1000(node) gid=1000(node) groups=1000(node)", ""),
            (base, ["getent", "passwd", "node"], "node:x:1000:1000::/home/node:/bin/bash", ""),
            (base, ["sh", "-c", "cd && pwd && touch x && id -un"], "/home/node\nnode", "node"),
            # entrypoint: a dash or a non-command runs under node; a command runs as given
            (base, ["--version"], "v18.", ""),
            (base, ["-e", "console.log(6 * 7)"], "42", ""),
            (base, ["node", "-p", "process.release.name"], "node", ""),
            (base, ["npm", "prefix", "-g"], "/usr/local", ""),
            (base, ["sh", "-c", NPM_GLOBAL], "/usr/local/bin/hello-kit\nhello from a global", ""),
        )
    ],
    # -- python:3.11 and python:3.11-slim -------------------------------------------------------
    *[
        row
        for base in (PY_FULL, PY_SLIM)
        for row in (
            (
                base,
                ["sh", "-c", WHICH_PY],
                "/usr/bin/python\n/usr/bin/python3\n/usr/bin/pip\n/usr/bin/pip3",
                "",
            ),
            (base, ["python", "-c", "import sys; print(sys.version_info[:2])"], "(3, 11)", ""),
            (
                base,
                ["sh", "-c", "echo $LANG; python -c 'import sys; print(sys.stdout.encoding)'"],
                "C.UTF-8\nutf-8",
                "",
            ),
            (base, ["sh", "-c", PIP_AS_ROOT], "42 /usr/local/lib/python3.11/dist-packages/", ""),
            (
                base,
                [
                    "sh",
                    "-c",
                    f"python -m venv /tmp/v && /tmp/v/bin/python -c {shlex.quote(IN_VENV)}",
                ],
                "/tmp/v /tmp/v/lib/python3.11/site-packages/pip/",
                "",
            ),
            (base, ["python", "-c", REAL_PY], "/usr/bin/python3.11", ""),
        )
    ],
    # -- the distroless stand-ins: the interpreter is the entrypoint, no shell, no tools ---------
    (NODE_RT, ["-e", JS_NO_TOOLS], "0", ""),
    (NODE_RT, ["-e", JS_WHO], "0 0 root /", ""),
    (NODE_RT, ["-p", "process.version"], "v18.", ""),
    (
        NODE_RT,
        ["-p", "require('crypto').createHash('sha256').update('x').digest('hex')"],
        SHA_X,
        "",
    ),
    (NODE_RT, ["-p", "require('fs').existsSync('/etc/ssl/certs/ca-certificates.crt')"], "true", ""),
    (NODE_RT_NONROOT, ["-e", JS_WHO], "65532 65532 nonroot /home/nonroot", ""),
    (PY_RT, ["-c", PY_NO_TOOLS], "0", ""),
    (PY_RT, ["-c", PY_WHO], "0 0 root /", ""),
    (PY_RT, ["-c", REAL_PY], "/usr/bin/python3.11", ""),
    (
        PY_RT,
        ["-c", "import os; print(os.path.realpath('/usr/bin/python'), os.environ['LANG'])"],
        "/usr/bin/python3.11 C.UTF-8",
        "",
    ),
    (
        PY_RT,
        [
            "-c",
            "import ssl, sqlite3, zoneinfo, ctypes, hashlib; "
            "print(hashlib.sha256(b'x').hexdigest())",
        ],
        SHA_X,
        "",
    ),
    (PY_RT_NONROOT, ["-c", PY_WHO], "65532 65532 nonroot /home/nonroot", ""),
    # -- debian and busybox -----------------------------------------------------------------------
    *[
        (
            base,
            ["sh", "-c", "cut -d. -f1 /etc/debian_version; command -v apt-get"],
            "12\n/usr/bin/apt-get",
            "",
        )
        for base in (DEBIAN, DEBIAN_SLIM)
    ],
    (BUSYBOX, ["sh", "-c", "id -u; echo $HOME"], "65534\n/home", "nobody"),
    (BUSYBOX, ["sh", "-c", "busybox | head -1"], "BusyBox v1.", ""),
]

# (base, entrypoint, cmd, user) as the official images have them in their config.
CONFIGS: list[tuple[str, list[str] | None, list[str] | None, str]] = [
    (NODE_FULL, ["docker-entrypoint.sh"], ["node"], ""),
    (NODE_SLIM, ["docker-entrypoint.sh"], ["node"], ""),
    (NODE_RT, ["/nodejs/bin/node"], None, ""),
    (NODE_RT_NONROOT, ["/nodejs/bin/node"], None, "65532:65532"),
    (PY_FULL, None, ["python3"], ""),
    (PY_SLIM, None, ["python3"], ""),
    (PY_RT, ["/usr/bin/python3.11"], None, ""),
    (PY_RT_NONROOT, ["/usr/bin/python3.11"], None, "65532:65532"),
    (DEBIAN, None, ["bash"], ""),
    (DEBIAN_SLIM, None, ["bash"], ""),
    (BUSYBOX, None, ["sh"], ""),
]


def run(engine: Engine, image: str, command: list[str], user: str = "") -> tuple[int, str]:
    """Run ``command`` under the image's entrypoint, network none; exit code and output."""
    api = engine.api
    container: dict[str, Any] = api.create_container(
        image,
        command=command,
        user=user,
        host_config=api.create_host_config(network_mode="none"),
        labels={RUN_LABEL: "contract-test"},
    )
    try:
        api.start(container)
        code = int(api.wait(container, timeout=180)["StatusCode"])
        output = api.logs(container, stdout=True, stderr=True).decode(errors="replace")
    finally:
        api.remove_container(container, force=True)
    return code, output.strip()


def _id(row: tuple[Any, ...]) -> str:
    base, command = row[0], row[1]
    return f"{base.split('/')[1]}:{' '.join(command)[:40]}"


@pytest.mark.parametrize(
    ("base", "command", "expected", "user"), CONTRACTS, ids=map(_id, CONTRACTS)
)
def test_contract(engine: Engine, base: str, command: list[str], expected: str, user: str) -> None:
    need_image(engine, base)
    code, output = run(engine, base, command, user)
    assert code == 0, f"exit {code}: {output}"
    assert output.startswith(expected), f"expected {expected!r}, got {output!r}"


@pytest.mark.parametrize(
    ("base", "entrypoint", "cmd", "user"), CONFIGS, ids=[c[0] for c in CONFIGS]
)
def test_config(
    engine: Engine, base: str, entrypoint: list[str] | None, cmd: list[str] | None, user: str
) -> None:
    config = need_image(engine, base)["Config"]
    assert config.get("Entrypoint") == entrypoint
    assert config.get("Cmd") == cmd
    assert (config.get("User") or "") == user


@pytest.mark.parametrize("base", [NODE_RT, PY_RT])
def test_no_shell_to_run(engine: Engine, base: str) -> None:
    """A distroless stand-in has no shell: ``sh -c`` cannot even start."""
    need_image(engine, base)
    api = engine.api
    container = api.create_container(
        base,
        entrypoint=["/bin/sh"],
        command=["-c", "true"],
        host_config=api.create_host_config(network_mode="none"),
        labels={RUN_LABEL: "contract-test"},
    )
    try:
        with pytest.raises(Exception, match="no such file or directory"):
            api.start(container)
    finally:
        api.remove_container(container, force=True)


def test_slim_and_runtime_stay_much_smaller_than_full(engine: Engine) -> None:
    """The classes keep their point: the engine's own sizes, slim under half of full, runtime
    under slim (node's runtime has no npm; python's no pip, venv or shell)."""
    size = {spec.ref: int(need_image(engine, spec.ref)["Size"]) for spec in BASES}
    for full, slim, runtime in ((NODE_FULL, NODE_SLIM, NODE_RT), (PY_FULL, PY_SLIM, PY_RT)):
        assert size[slim] < size[full] / 2, (slim, size[slim], size[full])
        assert size[runtime] < size[slim], (runtime, size[runtime], size[slim])
    assert size[BUSYBOX] < 5_000_000
    # :nonroot changes the user, not the files.
    assert size[NODE_RT_NONROOT] == size[NODE_RT]
    assert size[PY_RT_NONROOT] == size[PY_RT]
