"""Reading a build's log for its steps: which instruction ran, whether it came from the cache,
and how long it took. One reader per builder's log format, fed line by line as the log streams.

BuildKit's plain progress (``--progress=plain``) names each step as a vertex
(``#7 [build 2/3] RUN npm ci``) and closes it with ``#7 DONE 4.9s``, ``#7 CACHED`` or
``#7 ERROR: …``; vertices of independent stages interleave, and a step's output lines carry its
vertex (``#7 2.168 npm ERR! code EBADENGINE``). The classic builder prints ``Step 2/5 : RUN npm
ci`` and ``---> Using cache`` for a cached step, with no times: a step's time is taken from when
its line arrived to when the next step's did; what a step prints follows its header, in pieces
that are not lines (npm's ``npm``, `` ERR!``, `` code`` arrive as three events), its stderr
coloured (``\x1b[91m…\x1b[0m``).

Either reader keeps the output of the step a failed build stopped at (:class:`FailedStep`): the
engine's own message (``executor failed running [/bin/sh -c npm ci]: exit code: 1``) names
neither the line nor the cause, which only that output holds.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from kit.engine.models import BuildStep, FailedStep
from kit.plaintext import plain

_VERTEX = re.compile(r"^#(\d+) \[(?:(\S+) )?(\d+)/(\d+)\] (.+)$")
_DONE = re.compile(r"^#(\d+) DONE (\d+(?:\.\d+)?)s\s*$")
_CACHED = re.compile(r"^#(\d+) CACHED\s*$")
_ERROR = re.compile(r"^#(\d+) ERROR:? ?(.*)$")
_STEP = re.compile(r"^Step (\d+)/(\d+) : (.+)$")
_USING_CACHE = re.compile(r"^\s*---> Using cache\s*$")
_OUTPUT = re.compile(r"^#\d+ \d+\.\d+ (.*)$")
_VERTEX_OUTPUT = re.compile(r"^(#(\d+) \d+\.\d+ )(.*)$", re.DOTALL)
_CLASSIC_MARKER = re.compile(
    r"^\s*---> (?:Running in [0-9a-f]+|Using cache|[0-9a-f]{12,64})\s*$"
    r"|^Removing intermediate container [0-9a-f]+\s*$"
)
#: Lines of a step's output kept for its cause (npm's error block is ~30 lines).
OUTPUT_LINES = 200


def plain_progress_line(line: str) -> str:
    """A line of BuildKit's plain progress as a terminal shows it: a step's output (after its
    vertex and time) cleaned of escapes and redraws, the vertex and time kept."""
    if m := _VERTEX_OUTPUT.match(line):
        return m.group(1) + plain(m.group(3))
    return plain(line)


class Lines:
    """Pieces of a log (the classic builder's stream events) → whole lines, as a terminal
    shows them (:func:`kit.plaintext.plain`); lines left empty are not lines."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, text: str) -> list[str]:
        parts = (self._pending + text).split("\n")
        self._pending = parts.pop()
        return [p for p in (plain(part) for part in parts) if p.strip()]

    def flush(self) -> list[str]:
        rest, self._pending = plain(self._pending), ""
        return [rest] if rest.strip() else []


def step_output(line: str) -> str:
    """The text a step printed, from either builder's log line: BuildKit's plain progress puts
    the step's vertex and the seconds since it started before it (``#6 0.213 hello``), the
    classic builder prints it bare. Other lines (a vertex's header, ``DONE``) come back whole,
    so a marker a step echoes is told from the instruction that names it."""
    if m := _OUTPUT.match(line):
        return m.group(1).strip()
    return line.strip()


@dataclass
class _Vertex:
    instruction: str
    stage: str | None
    index: tuple[int, int]
    cached: bool = False
    seconds: float | None = None
    error: str | None = None
    closed: bool = False
    output: deque[str] = field(default_factory=lambda: deque(maxlen=OUTPUT_LINES))


class PlainProgress:
    """BuildKit's plain progress output → the Dockerfile steps it ran (internal vertices, such
    as loading the context or exporting the image, are not steps)."""

    def __init__(self) -> None:
        self._vertices: dict[str, _Vertex] = {}

    def __call__(self, line: str) -> None:
        if m := _VERTEX.match(line):
            if m.group(1) not in self._vertices:
                index = (int(m.group(3)), int(m.group(4)))
                self._vertices[m.group(1)] = _Vertex(m.group(5).strip(), m.group(2), index)
        elif (m := _DONE.match(line)) and m.group(1) in self._vertices:
            self._vertices[m.group(1)].seconds = float(m.group(2))
            self._vertices[m.group(1)].closed = True
        elif (m := _CACHED.match(line)) and m.group(1) in self._vertices:
            self._vertices[m.group(1)].cached = True
            self._vertices[m.group(1)].closed = True
        elif (m := _ERROR.match(line)) and m.group(1) in self._vertices:
            self._vertices[m.group(1)].error = m.group(2)
            self._vertices[m.group(1)].closed = True
        elif (
            (m := _VERTEX_OUTPUT.match(line))
            and (v := self._vertices.get(m.group(2)))
            # After its ERROR the CLI repeats a step's last lines in its summary: not again.
            and not v.closed
            and (text := plain(m.group(3))).strip()
        ):
            v.output.append(text)

    @property
    def steps(self) -> tuple[BuildStep, ...]:
        return tuple(
            BuildStep(v.instruction, v.cached, v.seconds, None, v.stage)
            for v in self._vertices.values()
        )

    @property
    def failed(self) -> FailedStep | None:
        """The step that failed, with what it printed, if one did."""
        for v in self._vertices.values():
            if v.error is not None:
                step = BuildStep(v.instruction, v.cached, v.seconds, None, v.stage)
                return FailedStep(step, tuple(v.output), v.index)
        return None


class ClassicSteps:
    """The classic builder's log → its steps, timed by when their lines arrived."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._steps: list[BuildStep] = []
        self._current: tuple[int, str, float] | None = None
        self._cached = False
        self._output: deque[str] = deque(maxlen=OUTPUT_LINES)

    def __call__(self, line: str) -> None:
        if m := _STEP.match(line):
            self._close()
            self._current = (int(m.group(1)), m.group(3).strip(), self._clock())
            self._output.clear()
        elif _USING_CACHE.match(line) and self._current is not None:
            self._cached = True
        elif self._current is not None and not _CLASSIC_MARKER.match(line):
            self._output.append(line)

    def _close(self) -> None:
        if self._current is not None:
            number, instruction, started = self._current
            seconds = self._clock() - started
            self._steps.append(BuildStep(instruction, self._cached, seconds, number, None))
        self._current, self._cached = None, False

    def finish(self) -> tuple[BuildStep, ...]:
        self._close()
        return tuple(self._steps)

    def failed(self) -> FailedStep | None:
        """After :meth:`finish` of a failed build: its last step, where it stopped, with what
        that step printed."""
        return FailedStep(self._steps[-1], tuple(self._output)) if self._steps else None
