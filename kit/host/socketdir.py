"""Where the daemons the kit starts put their unix sockets: a directory whose path is short by
construction, whatever the run id, ``TMPDIR``, working directory or user.

A unix socket's path may not exceed 108 bytes on Linux, the terminating NUL included. A folder
derived from ``TMPDIR`` or a working directory has no such bound: inside ``kit batch`` each cell's
``TMPDIR`` is ``runs/<id>/.tmp/<notebook>-XXXX/``, which a checkout at a long path makes longer
than the socket itself may be. So sockets live under a fixed base instead — ``/run/kit`` when
``/run`` is writable (root), else ``/tmp/kit-<uid>`` — in a folder named by a digest of the
directory they belong to, which :func:`socket_dir_for` finds again from another process (``kit
engine down --hub`` stops the engine ``kit engine up --hub`` started).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from kit.errors import EngineError

#: ``sizeof(sun_path)`` on Linux: the path's bytes plus the NUL that ends it.
SOCKET_PATH_MAX = 108
RUN_BASE = Path("/run/kit")


def socket_base() -> Path:
    """The fixed base: ``/run/kit`` where ``/run`` is writable, else ``/tmp/kit-<uid>`` (a fixed
    ``/tmp``, not ``TMPDIR``: that one may be anywhere)."""
    if os.access(RUN_BASE.parent, os.W_OK):
        return RUN_BASE
    return Path("/tmp") / f"kit-{os.geteuid()}"


def socket_dir_for(owner: Path) -> Path:
    """The short folder for the sockets of whatever lives in ``owner`` (the same folder for the
    same ``owner``, from any process and any working directory)."""
    digest = hashlib.sha256(str(owner.absolute()).encode()).hexdigest()[:12]
    return socket_base() / digest


def check_socket_path(path: Path) -> None:
    """Raise :class:`EngineError` when ``path`` cannot be a unix socket's: too long."""
    size = len(os.fsencode(path)) + 1
    if size > SOCKET_PATH_MAX:
        raise EngineError(
            f"the unix socket {path} would need {size} bytes with its NUL; "
            f"Linux allows {SOCKET_PATH_MAX}",
            file=path,
            hint=f"the kit keeps sockets under {socket_base()}: that base must stay short",
        )


def make_socket_base() -> Path:
    """The base, created if missing, private to this user. In a shared ``/tmp`` someone else
    may have made that name first: a base not ours, a symlink or open to others is refused."""
    base = socket_base()
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = base.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid():
        raise EngineError(
            f"{base} is not a directory of this user's; the kit keeps its sockets there",
            file=base,
            hint=f"remove {base}, or run as the user who owns it",
        )
    if found.st_mode & 0o022:
        base.chmod(0o700)
    return base
