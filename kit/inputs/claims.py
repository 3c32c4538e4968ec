"""Claims an app declares in ``experiment.toml``: read and checked against its variants.

An app built to test one piece of advice says so::

    [[claims]]
    text = "chaining RUNs gives fewer layers"
    metric = "layers"          # a deterministic per-variant number (no timings)
    variant = "chained"
    than = "naive"
    expect = "less"            # or "not less"

``than`` may also be a number (``metric = "x_floor"``, ``than = 1.25``), and a yes/no fact needs
no ``than`` (``metric = "has_shell"``, ``expect = "false"``).

Only deterministic metrics are allowed, so a verdict is stable and fit for a regression check;
timing claims need the spread of trials and are judged with the views (:mod:`kit.views`), where
declared claims get their verdicts too (:mod:`kit.views.verdicts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kit.errors import ExperimentConfigError
from kit.model.claims import EXPECTS, FLAG_EXPECTS, FLAGS, METRICS, DeclaredClaim


def parse_claims(
    raw: Any, variants: Iterable[str], *, app: str, file: Path
) -> tuple[DeclaredClaim, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise ExperimentConfigError(
            "claims must be an array of tables ([[claims]])", app=app, file=file
        )
    known = set(variants)
    found = []
    for index, body in enumerate(raw, 1):
        where = f"claim {index}"
        flag = body.get("metric") in FLAGS
        keys = {"text", "metric", "variant", "expect"} | (set() if flag else {"than"})
        if set(body) != keys:
            missing, extra = keys - set(body), set(body) - keys
            raise ExperimentConfigError(
                f"{where}: needs exactly {', '.join(sorted(keys))}"
                + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                + (f"; unknown {', '.join(sorted(extra))}" if extra else ""),
                app=app,
                file=file,
            )
        than = body.get("than")
        claim = DeclaredClaim(
            text=str(body["text"]),
            metric=str(body["metric"]),
            variant=str(body["variant"]),
            than=than
            if isinstance(than, int | float) and not isinstance(than, bool)
            else (None if than is None else str(than)),
            expect=str(body["expect"]),
        )
        if claim.metric not in METRICS + FLAGS:
            raise ExperimentConfigError(
                f"{where}: metric must be one of {', '.join(METRICS + FLAGS)}", app=app, file=file
            )
        allowed = FLAG_EXPECTS if flag else EXPECTS
        if claim.expect not in allowed:
            raise ExperimentConfigError(
                f"{where}: expect must be one of {', '.join(allowed)}", app=app, file=file
            )
        # `than` is another variant, or a number to compare with (e.g. x_floor below 1.25).
        named = [claim.variant] + ([claim.than] if isinstance(claim.than, str) else [])
        for name in named:
            if name not in known:
                raise ExperimentConfigError(f"{where}: no variant {name!r}", app=app, file=file)
        found.append(claim)
    return tuple(found)
