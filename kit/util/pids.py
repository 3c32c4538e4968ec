"""Whether a process still runs, read from ``/proc``: the one place the kit asks.

``kill(pid, 0)`` is not enough: it succeeds on a zombie, and a killed dockerd stays one until
its parent reaps it (seconds here, since pid 1 reaps late). ``/proc/PID/stat`` gives the state;
``/proc/PID/comm`` the name, since a pid from an old pid file may belong to another program by
now. ``proc`` is another ``/proc`` for the tests that fake one.
"""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")
#: Zombie, and dead (``X``; ``x`` on old kernels): finished, whatever the entry still holds.
_ENDED = frozenset("ZXx")


def stat_fields(pid: int, proc: Path | None = None) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the parenthesised name (which may itself hold
    spaces or parentheses): ``[0]`` is the state, ``[1]`` the parent; None when gone."""
    try:
        stat = ((proc or PROC) / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    return stat.rpartition(")")[2].split() or None


def state(pid: int, proc: Path | None = None) -> str | None:
    """The one-letter state (``R``, ``S``, ``Z`` …), None when the pid is gone."""
    fields = stat_fields(pid, proc)
    return None if fields is None else fields[0]


def live_stat(pid: int, proc: Path | None = None) -> list[str] | None:
    """:func:`stat_fields` of a process that runs: None when it is gone or a zombie."""
    fields = stat_fields(pid, proc)
    return None if fields is None or fields[0] in _ENDED else fields


def alive(pid: int, proc: Path | None = None) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    return live_stat(pid, proc) is not None


def comm(pid: int, proc: Path | None = None) -> str:
    """The process's name ("" when gone)."""
    try:
        return ((proc or PROC) / str(pid) / "comm").read_text().strip()
    except (OSError, ValueError):
        return ""


def running(pid: int, name: str, proc: Path | None = None) -> bool:
    """Whether ``pid`` is a live process called ``name``."""
    return comm(pid, proc) == name and alive(pid, proc)


def read_pid(path: Path) -> int | None:
    """The pid a pid file names; None when it is missing or holds no number."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
