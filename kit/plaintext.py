"""Text as a terminal would show it: what a build or a container printed, without the escape
sequences that colour it or set a window title, and with a line a carriage return redrew (a
progress counter) reduced to what was left on the screen.

Every log tail the kit keeps goes through :func:`plain` — an error's, a failed row's — so what
a user reads in a table, a JSON log or a notebook is the words, not ``\\x1b[91m``. The classic
builder colours a step's stderr so (``\\x1b[91m…\\x1b[0m``), and tools colour their own output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: CSI (colours, cursor moves), OSC (window titles, links; ended by BEL or ST), and the other
#: two-byte escapes (ESC followed by one byte in @–_ , as ``ESC 7``/``ESC M``).
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x1b[@-Z\\-_]"
)
#: Control characters a terminal does not print (tab, the line ends kept aside).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(line: str) -> str:
    """One line as a terminal leaves it: escapes removed and, where carriage returns redrew it,
    the last text drawn (a trailing one, as ``\\r\\n`` leaves, redraws nothing)."""
    text = _ESCAPES.sub("", line)
    if "\r" in text:
        drawn = [part for part in text.split("\r") if part.strip()]
        text = drawn[-1] if drawn else ""
    return _CONTROLS.sub("", text).rstrip()


def plain_lines(lines: Iterable[str]) -> tuple[str, ...]:
    """Each line made :func:`plain`; lines left empty by it (only an escape) are dropped."""
    return tuple(p for p in (plain(line) for line in lines) if p.strip())
