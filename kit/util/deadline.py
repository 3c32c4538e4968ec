"""A deadline for work that blocks a thread: when it passes, the work is marked expired and
cancelled from a timer thread, since the blocked thread cannot look at a clock itself."""

from __future__ import annotations

import threading
from collections.abc import Callable


def deadline(
    timeout_s: float | None, expired: threading.Event, cancel: Callable[[], None]
) -> threading.Timer | None:
    """A started timer that, ``timeout_s`` from now, sets ``expired`` and calls ``cancel``
    (which must wake the blocked thread); None without a timeout. Cancel the timer when the
    work ends first."""
    if timeout_s is None:
        return None

    def expire() -> None:
        expired.set()
        cancel()

    timer = threading.Timer(timeout_s, expire)
    # A timer left waiting must not keep the process alive at exit.
    timer.daemon = True
    timer.start()
    return timer
