"""``kit check --advise-max-mb N``: the advice as budget checks, so a CI gate can hold an app
to "no untried technique would save more than N MB". A technique that saves is one the
Dockerfile has not applied yet (an applied one derives nothing: n/a), so each ``saves``
verdict is an untried saving; one above N fails the gate and names the technique and its MB."""

from __future__ import annotations

from kit.advise.verdicts import Advice
from kit.model.budgets import BudgetCheck

BUDGET = "advise_max_mb"


def advice_checks(advice: Advice, max_mb: float) -> list[BudgetCheck]:
    """One check per technique that was measured against the original (saves, no effect):
    ``exceeded`` when it would save more than ``max_mb`` MB (10^6 bytes, as sizes are
    counted); a technique that breaks the app or could not be tried saves nothing here."""
    limit = f"an untried technique saves ≤ {max_mb:g} MB"
    found = []
    for t in advice.tried:
        if t.verdict not in ("saves", "no effect") or t.saved_bytes is None:
            continue
        saved_mb = t.saved_bytes / 1e6
        over = saved_mb > max_mb
        found.append(
            BudgetCheck(
                f"advise:{t.technique}",
                BUDGET,
                limit,
                f"{t.technique} would save {saved_mb:.1f} MB ({t.does})",
                "exceeded" if over else "within",
                saved_mb,
            )
        )
    if not found:
        why = "the original does not answer its probe" if advice.original is None else ""
        found.append(
            BudgetCheck(
                "advise",
                BUDGET,
                limit,
                why or "no technique applies: nothing left to save",
                "not measured" if why else "within",
                None if why else 0.0,
            )
        )
    return found


def messages(app: str, checks: list[BudgetCheck]) -> list[str]:
    """One line per exceeded advise check, naming the app, the technique and the MB."""
    return [
        f"{app}: {c.variant.removeprefix('advise:')} would save {c.value:.1f} MB, more than "
        f"the {c.limit.rsplit('≤ ', 1)[-1]} --advise-max-mb allows (kit advise writes it)"
        for c in checks
        if c.budget == BUDGET and c.verdict == "exceeded" and c.value is not None
    ]
