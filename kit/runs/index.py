"""The report's index: the run's front page.

For each notebook: its status — ok, *partial* (it ran, but a measurement its run asked for
failed) or failed — with the cause; its headline figures and every claim's verdict with the
number behind it, read from the headline the notebook displayed (:mod:`kit.runs.summaries`);
and the engine, builder and machine it measured on. A reader who opens only this page knows what
the run found and what it could not measure. When the batch recorded where its time went, the
breakdown closes the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from kit.views.summary import Summary

PageStatus = Literal["ok", "partial", "failed"]


@dataclass(frozen=True)
class Page:
    """One notebook of the report."""

    title: str
    notebook: Path  # the executed notebook, in the report folder
    html: Path | None  # None when not even a failed notebook could be rendered
    status: PageStatus  # partial: it ran, but a measurement its run asked for failed
    run_id: str
    parameters: str  # what papermill injected, as JSON, paths shown relative
    error: str | None = None
    code_html: Path | None = None  # the same page with its code cells
    summaries: tuple[Summary, ...] = ()  # its headlines: what its runs found and missed


_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 .8em; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }
section.nb[data-status="partial"], section.nb[data-status="failed"] { border-color: #c62828; }
section.nb { border: 1px solid #ddd; border-radius: 6px; padding: .2em 1em .6em; margin: 1em 0; }
section.nb h2 { font-size: 1.15em; margin: .6em 0 .3em; }
.ok { color: #2e7d32; font-weight: bold; } .failed, .partial { color: #c62828; font-weight: bold; }
.cause { color: #c62828; } .verdict-failed { color: #c62828; font-weight: bold; }
code { font-size: 90%; } .meta { color: #555; font-size: 90%; }
"""
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def _md(text: str) -> str:
    """The little Markdown a headline's figures use (bold, code), as HTML."""
    out = _BOLD.sub(r"<strong>\1</strong>", html.escape(text))
    return _CODE.sub(r"<code>\1</code>", out)


def _href(path: Path, out: Path) -> str:
    return html.escape(quote(str(path.relative_to(out))))


def _link(p: Page, out: Path) -> str:
    if p.html is None:
        return html.escape(p.title) + " (no page: the notebook could not be rendered)"
    return f'<a href="{_href(p.html, out)}">{html.escape(p.title)}</a>'


def _summary(s: Summary) -> str:
    parts = []
    if s.failures:
        items = "".join(f"<li>{html.escape(f)}</li>" for f in s.failures)
        parts.append(f'<p class="cause">Not measured — failed:</p><ul class="cause">{items}</ul>')
    rows = [*s.rows]
    if s.expected:
        rows.append(("not built by choice", "; ".join(s.expected)))
    parts.append(
        '<table class="facts"><tbody>'
        + "".join(f"<tr><th>{_md(k)}</th><td>{_md(v)}</td></tr>" for k, v in rows)
        + "</tbody></table>"
    )
    if s.verdicts:
        body = "".join(
            f"<tr><td>{html.escape(v.claim)}</td>"
            f'<td class="verdict-{v.verdict.split(":")[0].replace(" ", "-")}">'
            f"<strong>{html.escape(v.verdict)}</strong></td><td>{_md(v.measured)}</td></tr>"
            for v in s.verdicts
        )
        parts.append(
            '<table class="claims"><thead><tr><th>claim</th><th>verdict</th><th>measured</th>'
            f"</tr></thead><tbody>{body}</tbody></table>"
        )
    ids = ", ".join(f"<code>{html.escape(i)}</code>" for i in s.run_ids)
    parts.append(
        f'<p class="meta">Measured on {html.escape(s.engine)}; builder {html.escape(s.builder)};'
        f" {html.escape(s.machine)}. Run {ids}.</p>"
    )
    return "\n".join(parts)


def _section(p: Page, out: Path) -> str:
    status = f'<span class="status {p.status}">{p.status}</span>'
    cause = ""
    if p.error and not any(s.failures for s in p.summaries):
        cause = f'<p class="cause">{html.escape(p.error)}</p>'
    body = "\n".join(_summary(s) for s in p.summaries)
    code = (
        "" if p.code_html is None else f' (<a href="{_href(p.code_html, out)}">with the code</a>)'
    )
    meta = (
        f'<p class="meta">Notebook <code>{html.escape(str(p.notebook.relative_to(out)))}</code>'
        f"{code}; run <code>{html.escape(p.run_id)}</code>; parameters "
        f"<code>{html.escape(p.parameters)}</code></p>"
    )
    head = f"<h2>{_link(p, out)} — {status}</h2>"
    return (
        f'<section class="nb" data-status="{p.status}">\n{head}\n{cause}{body}\n{meta}\n</section>'
    )


def _counts(pages: Sequence[Page]) -> str:
    """ "3 notebook(s): 2 ok, 1 partial": a count of nothing is left out unless all are ok,
    so a run that missed a measurement never reads "0 failed"."""
    counts = {s: sum(p.status == s for p in pages) for s in ("ok", "partial", "failed")}
    if counts["ok"] == len(pages):
        return f"{len(pages)} notebook(s): all ok (0 partial, 0 failed)"
    shown = [f"{counts['ok']} ok"] if counts["ok"] else []
    shown += [f'<span class="{s}">{n} {s}</span>' for s, n in counts.items() if s != "ok" and n]
    return f"{len(pages)} notebook(s): " + ", ".join(shown)


def _where(pages: Sequence[Page]) -> str:
    found = dict.fromkeys(
        f"{s.engine}; builder {s.builder}; {s.machine}" for p in pages for s in p.summaries
    )
    if not found:
        return ""
    items = "".join(f"<li>{html.escape(w)}</li>" for w in found)
    return f"<p>Measured on:</p><ul>{items}</ul>"


def _timings(timings: Sequence[tuple[str, float]]) -> str:
    if not timings:
        return ""
    total = sum(t for _, t in timings)
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{t:.1f} s</td></tr>" for k, t in timings)
    return (
        "<h2>Where the time went</h2><table><thead><tr><th>phase</th><th>wall time</th></tr>"
        f"</thead><tbody>{rows}<tr><th>total</th><th>{total:.1f} s</th></tr></tbody></table>"
    )


def write_index(
    pages: Sequence[Page],
    out: Path,
    *,
    store: str,
    generated: str,
    timings: Sequence[tuple[str, float]] = (),
) -> Path:
    """``out/index.html``: the run's front page (see the module's docstring)."""
    sections = "\n".join(_section(p, out) for p in pages)
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>image-diet kit report</title>
<style>{_CSS}</style></head><body>
<h1>image-diet kit report</h1>
<p class="summary"><strong>{_counts(pages)}</strong>.</p>
{_where(pages)}
<p class="meta">Generated {html.escape(generated)} (UTC) from the store
<code>{html.escape(store)}</code>.</p>
{sections}
{_timings(timings)}
</body></html>
"""
    index = out / "index.html"
    index.write_text(body, encoding="utf-8")
    return index
