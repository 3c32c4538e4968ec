"""A failed step's cause on one line, read from what the step printed, and its exit code from
the engine's message.

The engine says only that a command failed (``executor failed running [/bin/sh -c npm i
npm@latest -g]: exit code: 1``, ``The command '…' returned a non-zero code: 1``); the step's own
output says why. Tools mark their error lines, and the cause is the most telling of them:

- npm's error block (``npm ERR! …`` up to npm 9, ``npm error …`` from npm 10): its first line
  after ``code X``, with ``(X)`` after it, and the ``Required:``/``Actual:`` of an engine
  mismatch;
- a shell that cannot find or run a command (``/bin/sh: 1: yarn: not found``);
- the last line a tool marks as an error: pip's ``ERROR:``, apt's ``E:``, ``error:``, ``fatal:``;
- else the last line the step printed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_EXIT = re.compile(r"(?:exit code|non-zero code):? (-?\d+)")
_NPM = re.compile(r"^npm (?:ERR!|error)(?: (.*))?$")
_NPM_CODE = re.compile(r"^code (\S+)$")
#: npm's fields of an error (``syscall mkdir``, ``path /app``): where, not what.
_NPM_FIELDS = frozenset({"syscall", "path", "errno", "dest", "signal", "command", "cwd"})
#: npm's lines that say where its log went, not what failed.
_NPM_NOISE = re.compile(r"^(?:A complete log of this run|Log files were not written|/\S+\.log$)")
_SHELL = re.compile(
    r"^(?:/bin/|/usr/bin/)?(?:ba|da|z)?sh: (?:line )?(?:\d+: )?.*(?:not found|"
    r"Permission denied|No such file or directory|cannot execute)"
)
_MARKED = re.compile(r"^(?:ERROR:|E: |error(?:\[\w+\])?:|fatal:|FATAL|Error:)", re.IGNORECASE)
#: The most a cause carries: it is one line of a message, not a log.
MAX_CHARS = 300


def exit_code(error: str | None) -> int | None:
    """The exit code an engine's message gives a failed command, if it gives one."""
    m = _EXIT.search(error or "")
    return int(m.group(1)) if m else None


def cause_of(output: Sequence[str]) -> str | None:
    """The one line of ``output`` (a failed step's, in order) that says why it failed."""
    lines = [line.strip() for line in output if line.strip()]
    found = _npm(lines) or _last(lines, _SHELL) or _last(lines, _MARKED)
    if found is None and lines:
        found = lines[-1]
    return _cut(found) if found else None


def _npm(lines: list[str]) -> str | None:
    matched = [(line, m.group(1) or "") for line in lines if (m := _NPM.match(line))]
    codes = [m.group(1) for _, text in matched if (m := _NPM_CODE.match(text.strip()))]
    if not matched or (codes and not codes[0].startswith("E")):
        return None  # a script's exit code: its own output, above npm's block, says why
    prefix = " ".join(matched[0][0].split(" ", 2)[:2])
    said = [
        " ".join(text.split())
        for _, text in matched
        if text.strip()
        and not _NPM_CODE.match(text.strip())
        and not _NPM_NOISE.match(text.strip())
        and text.split(" ", 1)[0] not in _NPM_FIELDS
    ]
    code = f" ({codes[0]})" if codes else ""
    if not said:
        return f"{prefix} code {codes[0]}" if codes else None
    heading = said[0].split(" ", 1)[0]
    # npm says one thing on lines under one heading: "engine Unsupported engine" and "engine
    # Not compatible with … npm@12.2.3"; an engine mismatch adds what it needs and found.
    same = [t.split(" ", 1)[1] for t in said[1:2] if t.split(" ", 1)[0] == heading and " " in t]
    wants = [t.split(" ", 1)[1] for t in said if re.match(r"^notsup (?:Required|Actual):", t)]
    return f"{prefix} {': '.join([said[0], *same])}" + "".join(f"; {w}" for w in wants) + code


def _last(lines: list[str], pattern: re.Pattern[str]) -> str | None:
    return next((line for line in reversed(lines) if pattern.match(line)), None)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
