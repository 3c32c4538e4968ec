"""Progress display shared by the CLI and notebooks.

``tqdm.auto`` picks the widget bar inside Jupyter when ipywidgets is there (JupyterLab renders
it as one live line) and the text bar otherwise; its warning about missing ipywidgets would land
in every executed notebook, so it is silenced here once. A notebook executed by papermill keeps
every redraw as an output of its own, so the kit runs those kernels with ``KIT_PROGRESS=off``:
no bar at all there. The build-line postfix is throttled so a chatty build cannot flood a log or
a notebook.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from kit.config import settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from tqdm.auto import tqdm

__all__ = ["bar_options", "line_reporter", "phase", "timed", "tqdm"]

log = logging.getLogger("kit")


def _where() -> str:
    """ "tty" for a live terminal, "kernel" inside Jupyter, "log" for anything else (CI, pipes)."""
    if "ipykernel" in sys.modules:
        return "kernel"
    return "tty" if sys.stderr.isatty() else "log"


# Seconds between redraws. Outside a terminal every redraw is a new line in a log or a stored
# notebook output (papermill keeps them all), so redraws are rare there.
_INTERVALS = {"tty": 1.0, "kernel": 5.0, "log": 30.0}


def bar_options(enabled: bool = True) -> dict[str, Any]:
    """tqdm's options: its redraw pace here; off when not ``enabled`` or ``KIT_PROGRESS=off``."""
    return {"mininterval": _INTERVALS[_where()], "disable": not enabled or not settings().progress}


def line_reporter(bar: tqdm, prefix: str = "") -> Callable[[str], None]:
    """Show a build's latest log line in the bar's postfix, at the bar's redraw pace."""
    interval_s = _INTERVALS[_where()]
    last = [0.0]

    def show(text: str) -> None:
        now = time.monotonic()
        if bar.disable or now - last[0] < interval_s:
            return
        last[0] = now
        bar.set_postfix_str(f"{prefix}{text.strip()[:60]}", refresh=True)

    return show


def phase(bar: tqdm | None, text: str) -> None:
    """Name what a long step is doing; redrawn at once only on a live terminal."""
    if bar is not None and not bar.disable:
        bar.set_postfix_str(text, refresh=_where() == "tty")


@contextlib.contextmanager
def timed(bar: tqdm | None, text: str) -> Iterator[None]:
    """:func:`phase`, then the step's wall seconds logged when it ends (ok or not): where a
    notebook's one long cell spends its time, readable in its log without a profiler."""
    phase(bar, text)
    started = time.perf_counter()
    try:
        yield
    finally:
        log.info("%s: %.1f s", text, time.perf_counter() - started)
