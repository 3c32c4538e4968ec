"""Reading a build's log for its steps: which instruction ran, whether it came from the cache,
and how long it took. One reader per builder's log format, fed line by line as the log streams.

BuildKit's plain progress (``--progress=plain``) names each step as a vertex
(``#7 [build 2/3] RUN npm ci``) and closes it with ``#7 DONE 4.9s``, ``#7 CACHED`` or
``#7 ERROR: …``; vertices of independent stages interleave. The classic builder prints
``Step 2/5 : RUN npm ci`` and ``---> Using cache`` for a cached step, with no times: a step's
time is taken from when its line arrived to when the next step's did.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from kit.engine.models import BuildStep

_VERTEX = re.compile(r"^#(\d+) \[(?:(\S+) )?(\d+)/(\d+)\] (.+)$")
_DONE = re.compile(r"^#(\d+) DONE (\d+(?:\.\d+)?)s\s*$")
_CACHED = re.compile(r"^#(\d+) CACHED\s*$")
_ERROR = re.compile(r"^#(\d+) ERROR:? ?(.*)$")
_STEP = re.compile(r"^Step (\d+)/(\d+) : (.+)$")
_USING_CACHE = re.compile(r"^\s*---> Using cache\s*$")
_OUTPUT = re.compile(r"^#\d+ \d+\.\d+ (.*)$")


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
    cached: bool = False
    seconds: float | None = None
    error: str | None = None


class PlainProgress:
    """BuildKit's plain progress output → the Dockerfile steps it ran (internal vertices, such
    as loading the context or exporting the image, are not steps)."""

    def __init__(self) -> None:
        self._vertices: dict[str, _Vertex] = {}

    def __call__(self, line: str) -> None:
        if m := _VERTEX.match(line):
            if m.group(1) not in self._vertices:
                self._vertices[m.group(1)] = _Vertex(m.group(5).strip(), m.group(2))
        elif (m := _DONE.match(line)) and m.group(1) in self._vertices:
            self._vertices[m.group(1)].seconds = float(m.group(2))
        elif (m := _CACHED.match(line)) and m.group(1) in self._vertices:
            self._vertices[m.group(1)].cached = True
        elif (m := _ERROR.match(line)) and m.group(1) in self._vertices:
            self._vertices[m.group(1)].error = m.group(2)

    @property
    def steps(self) -> tuple[BuildStep, ...]:
        return tuple(
            BuildStep(v.instruction, v.cached, v.seconds, None, v.stage)
            for v in self._vertices.values()
        )

    @property
    def failed_step(self) -> str | None:
        """The instruction of the step that failed, if one did."""
        return next((v.instruction for v in self._vertices.values() if v.error), None)


class ClassicSteps:
    """The classic builder's log → its steps, timed by when their lines arrived."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._steps: list[BuildStep] = []
        self._current: tuple[int, str, float] | None = None
        self._cached = False

    def __call__(self, line: str) -> None:
        if m := _STEP.match(line):
            self._close()
            self._current = (int(m.group(1)), m.group(3).strip(), self._clock())
        elif _USING_CACHE.match(line) and self._current is not None:
            self._cached = True

    def _close(self) -> None:
        if self._current is not None:
            number, instruction, started = self._current
            seconds = self._clock() - started
            self._steps.append(BuildStep(instruction, self._cached, seconds, number, None))
        self._current, self._cached = None, False

    def finish(self) -> tuple[BuildStep, ...]:
        self._close()
        return tuple(self._steps)
