"""An executed notebook as HTML pages: one for readers, one with the code.

The readers' page (``<notebook>.html``) hides every code cell and prompt (nbconvert's
``exclude_input``), moves the cells tagged ``kit-headline`` — the run's headline numbers, made by
the notebook from its own results — right under the title, carries a table of contents built
from the page's own headings, and links to the page with the code (``<notebook>-code.html``)
and to the report's index. On both pages a progress bar's redraws are folded into their last
line (nbconvert's stream coalescing), and wide tables scroll inside their cell instead of
widening the page.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

HEADLINE_TAG = "kit-headline"
CODE_SUFFIX = "-code"

CSS = """
main { max-width: 72rem; margin: 0 auto; }
.jp-OutputArea-output, .jp-RenderedHTMLCommon { max-width: 100%; min-width: 0; }
.jp-RenderedHTMLCommon table, .jp-OutputArea-output table {
  display: block; max-width: 100%; overflow-x: auto; font-size: 0.85em; }
.jp-RenderedHTMLCommon th { white-space: normal; vertical-align: bottom; }
.jp-OutputArea-output pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.kit-bar { font: 14px/1.5 system-ui, sans-serif; padding: .5em 1em; margin: 0 0 1em;
  border-bottom: 1px solid #ddd; display: flex; gap: 1.5em; }
.kit-toc { font: 14px/1.5 system-ui, sans-serif; border: 1px solid #ddd; border-radius: 4px;
  padding: .5em 1em; margin: 0 0 1em 1.5em; float: right; max-width: 18rem; background: #fafafa; }
.kit-toc ol { margin: .3em 0; padding-left: 1.2em; } .kit-toc .h3 { margin-left: 1em; }
@media (max-width: 60rem) { .kit-toc { float: none; margin-left: 0; max-width: none; } }
"""

_HEADING = re.compile(r"<h([1-3])((?:\s[^>]*)?)>(.*?)</h\1>", re.DOTALL)
_ID = re.compile(r'\sid="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")


def _read(notebook: Path) -> Any:
    import nbformat

    return nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]


def _coalesced(nb: Any) -> Any:
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})  # type: ignore[no-untyped-call]
    return nb


def hoist_headline(nb: Any) -> Any:
    """The cells tagged ``kit-headline`` moved right after the first Markdown cell (the title)."""
    tagged = [c for c in nb.cells if HEADLINE_TAG in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        return nb
    rest = [c for c in nb.cells if not any(c is t for t in tagged)]
    first = next((i for i, c in enumerate(rest) if c.cell_type == "markdown"), -1)
    nb.cells = rest[: first + 1] + tagged + rest[first + 1 :]
    return nb


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w-]+", "-", text).strip("-") or "section"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def with_toc(body: str) -> tuple[str, list[tuple[int, str, str]]]:
    """``body`` with an id on every h1–h3, and the (level, id, text) of each h2 and h3."""
    taken = {html.unescape(i) for i in _ID.findall(body)}
    entries: list[tuple[int, str, str]] = []

    def visit(m: re.Match[str]) -> str:
        level, attrs, inner = int(m.group(1)), m.group(2), m.group(3)
        text = html.unescape(_TAG.sub("", inner)).replace("¶", "").strip()
        found = _ID.search(attrs)
        ident = html.unescape(found.group(1)) if found else _slug(text, taken)
        taken.add(ident)
        if not found:
            attrs = f'{attrs} id="{html.escape(ident)}"'
        if level > 1:
            entries.append((level, ident, text))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    return _HEADING.sub(visit, body), entries


def _toc(entries: list[tuple[int, str, str]]) -> str:
    items = "".join(
        f'<li class="h{level}"><a href="#{html.escape(ident)}">{html.escape(text)}</a></li>'
        for level, ident, text in entries
    )
    head = '<nav class="kit-toc" aria-label="contents"><strong>Contents</strong>'
    return f"{head}<ol>{items}</ol></nav>"


def _bar(links: list[tuple[str, str]]) -> str:
    inner = "".join(
        f'<a href="{html.escape(href)}">{html.escape(text)}</a>' for text, href in links
    )
    return f'<nav class="kit-bar">{inner}</nav>'


def _inject(body: str, top: str) -> str:
    body = body.replace("</head>", f"<style>{CSS}</style>\n</head>", 1)
    marker = "<main>" if "<main>" in body else re.search(r"<body[^>]*>", body)
    at = marker if isinstance(marker, str) else (marker.group(0) if marker else "")
    return body.replace(at, at + "\n" + top, 1) if at else top + body


def _export(nb: Any, *, code: bool) -> str:
    import nbconvert

    exporter = nbconvert.HTMLExporter(  # type: ignore[no-untyped-call]
        exclude_input=not code, exclude_input_prompt=not code, exclude_output_prompt=not code
    )
    body, _ = exporter.from_notebook_node(nb)
    return str(body)


def code_page(page: Path) -> Path:
    return page.with_name(f"{page.stem}{CODE_SUFFIX}.html")


def render_pages(notebook: Path, *, index: Path | None = None) -> tuple[Path, Path]:
    """Write the readers' page and the page with the code beside ``notebook``; return both.
    ``index``: the report's index page, linked from both."""
    page = notebook.with_suffix(".html")
    code = code_page(page)
    back = [("← report index", os.path.relpath(index, page.parent))] if index else []

    reader, entries = with_toc(_export(hoist_headline(_coalesced(_read(notebook))), code=False))
    top = _bar([*back, ("show the code", code.name)]) + (_toc(entries) if entries else "")
    page.write_text(_inject(reader, top), encoding="utf-8")

    full = _export(_coalesced(_read(notebook)), code=True)
    code.write_text(_inject(full, _bar([*back, ("hide the code", page.name)])), encoding="utf-8")
    return page, code
