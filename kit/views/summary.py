"""A run's headline: whether every measurement it asked for came out, the numbers a reader wants
first — the best variant, how much smaller it is, how far from the floor, the most waste — and
every claim with its verdict, each taken from the run; then what it ran on.

The report puts the cell that shows it (tagged ``kit-headline``) right under the page's title.
The same facts travel with the cell as JSON (:data:`MIME`), so ``kit batch`` and the report's
index read them back from the executed notebook instead of guessing from its text: a run with a
failed measurement is *partial* there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from kit.model.claims import Claim
from kit.model.failures import Failure, unexpected
from kit.model.results import Results
from kit.model.rows import RunInfo
from kit.util.units import fmt_bytes
from kit.views.budgets import checks
from kit.views.builders.text import claim_list as builder_claims
from kit.views.common import Markdown, by_size
from kit.views.distribution.text import claim_list as payoff_claims
from kit.views.images.text import claim_list as image_claims

MIME = "application/vnd.image-diet-kit.headline+json"
SummaryStatus = Literal["ok", "partial"]


@dataclass(frozen=True)
class ShownVerdict:
    claim: str
    verdict: str  # as shown: "holds", "failed: <cause>" …
    measured: str


@dataclass(frozen=True)
class Summary:
    """What one notebook's run found and could not measure, for the report's index."""

    title: str
    run_ids: tuple[str, ...]
    status: SummaryStatus
    failures: tuple[str, ...]  # one line each: "fresh host of full: the extra dockerd …"
    expected: tuple[str, ...]  # failures the run's parameters chose (listed, not partial)
    rows: tuple[tuple[str, str], ...]  # (what, this run's figure)
    verdicts: tuple[ShownVerdict, ...]
    engine: str
    builder: str
    machine: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        return cls(
            title=str(data["title"]),
            run_ids=tuple(data["run_ids"]),
            status=data["status"],
            failures=tuple(data["failures"]),
            expected=tuple(data["expected"]),
            rows=tuple((str(k), str(v)) for k, v in data["rows"]),
            verdicts=tuple(ShownVerdict(**v) for v in data["verdicts"]),
            engine=str(data["engine"]),
            builder=str(data["builder"]),
            machine=str(data["machine"]),
        )


class Headline(Markdown):
    """The headline's Markdown, displayed with its :class:`Summary` beside it as JSON."""

    summary: Summary

    def __new__(cls, text: str, summary: Summary) -> Headline:
        made = super().__new__(cls, text)
        made.summary = summary
        return made

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return {"text/markdown": str(self), MIME: self.summary.to_json()}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def engine_line(run: RunInfo) -> str:
    store = "containerd image store" if run.containerd_store else run.storage_driver
    return f"Docker Engine {run.engine_version} (API {run.engine_api}), {store}"


def _rows(results: Results) -> list[tuple[str, str]]:
    ranked = by_size(results)
    # Builds alone: "0 failed" here would read as "nothing failed" on a partial run.
    built = f"{len(results.ok)} built" + (
        f", {len(results.failed)} failed" if results.failed else ""
    )
    rows = [("variants", built)]
    if ranked:
        best, worst = ranked[0], ranked[-1]
        line = f"**{best.variant}**, {fmt_bytes(best.size_bytes)}"
        if worst is not best and best.size_bytes:
            ratio = (worst.size_bytes or 0) / best.size_bytes
            line += f": {ratio:.1f}× smaller than {worst.variant} ({fmt_bytes(worst.size_bytes)})"
        rows.append(("smallest image", line))
        floored = [r for r in ranked if r.x_floor is not None]
        if floored:
            rows.append(
                (
                    "× floor",
                    f"floor {fmt_bytes(floored[0].floor_bytes)}; "
                    + ", ".join(f"{r.variant} {r.x_floor:.2f}×" for r in floored),
                )
            )
        wasteful = max(ranked, key=lambda r: r.wasted_bytes or 0)
        if wasteful.wasted_bytes:
            rows.append(
                (
                    "most wasted",
                    f"{wasteful.variant} wastes {fmt_bytes(wasteful.wasted_bytes)} on files a "
                    "later layer replaces or deletes",
                )
            )
    found = checks(results)
    if found:
        held = sum(c.verdict == "within" for c in found)
        rows.append(("budgets", f"{held} of {len(found)} checks hold"))
    return rows


def _claims(runs: Sequence[Results], cache_pair: Sequence[str] | None) -> list[Claim]:
    if len(runs) > 1:
        return builder_claims(runs, cache_pair)
    results = runs[0]
    found = image_claims(results)
    steps = {f.step for f in results.failures}
    if results.distribution_rows or results.rebuild_rows or steps & {"push and pull", "rebuild"}:
        found += payoff_claims(results)
    return found


def _failures(runs: Sequence[Results]) -> list[Failure]:
    """Every run's failures; with several runs (one per builder), each says whose it is."""
    if len(runs) == 1:
        return list(runs[0].failures)
    return [replace(f, step=f"{f.step} ({r.run.builder})") for r in runs for f in r.failures]


def summary(runs: Results | Sequence[Results], cache_pair: Sequence[str] | None = None) -> Summary:
    """The facts :func:`headline` shows, as data."""
    runs = [runs] if isinstance(runs, Results) else list(runs)
    first = runs[0]
    failures = _failures(runs)
    bad = unexpected(failures)
    rows: list[tuple[str, str]] = []
    for results in runs:
        label = f" ({results.run.builder})" if len(runs) > 1 else ""
        rows += [(what + label, figure) for what, figure in _rows(results)]
    builders = ", ".join(dict.fromkeys(r.run.builder for r in runs))
    return Summary(
        title=first.title,
        run_ids=tuple(r.run.run_id for r in runs),
        status="partial" if bad else "ok",
        failures=tuple(str(f) for f in bad),
        expected=tuple(str(f) for f in failures if f.expected),
        rows=tuple(rows),
        verdicts=tuple(
            ShownVerdict(c.claim, c.label, c.measured) for c in _claims(runs, cache_pair)
        ),
        engine=engine_line(first.run),
        builder=builders,
        machine=first.run.machine or first.run.host,
    )


def render(found: Summary, profile: str) -> str:
    """The headline's Markdown for ``found``."""
    ids = ", ".join(f"`{i}`" for i in found.run_ids)
    parts = [f"**At a glance** — {found.title}, run {ids} ({profile} profile)"]
    if found.failures:
        parts.append(
            f"**Partial: {len(found.failures)} measurement(s) failed** — "
            + "; ".join(_cell(f) for f in found.failures)
        )
    rows = [*found.rows]
    if found.expected:
        rows.append(("not built by choice", "; ".join(found.expected)))
    rows.append(("measured on", f"{found.engine}; builder {found.builder}; {found.machine}"))
    parts.append(
        "| | this run |\n|---|---|\n" + "\n".join(f"| {k} | {_cell(v)} |" for k, v in rows)
    )
    if found.verdicts:
        parts.append(
            "| claim | verdict | measured |\n|---|---|---|\n"
            + "\n".join(
                f"| {_cell(v.claim)} | **{_cell(v.verdict)}** | {_cell(v.measured)} |"
                for v in found.verdicts
            )
        )
    return "\n\n".join(parts)


def headline(
    runs: Results | Sequence[Results], cache_pair: Sequence[str] | None = None
) -> Headline:
    """Markdown: whether the run is complete, a small table of its key numbers, then its claims
    and their verdicts; the same facts ride along as JSON for the report's index."""
    found = summary(runs, cache_pair)
    first = runs if isinstance(runs, Results) else runs[0]
    return Headline(render(found, first.run.profile), found)
