"""Progress display shared by the CLI and notebooks: a tqdm bar whose postfix shows the last
build line, throttled so that a chatty build does not flood a log or a notebook's output."""

from __future__ import annotations

import time
from collections.abc import Callable

from tqdm.auto import tqdm

MIN_INTERVAL_S = 1.0


def line_reporter(
    bar: tqdm, prefix: str = "", interval_s: float = MIN_INTERVAL_S
) -> Callable[[str], None]:
    last = [0.0]

    def show(text: str) -> None:
        now = time.monotonic()
        if bar.disable or now - last[0] < interval_s:
            return
        last[0] = now
        bar.set_postfix_str(f"{prefix}{text.strip()[:60]}", refresh=True)

    return show
