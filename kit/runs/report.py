"""``kit report``: the overview of the store plus every executed notebook, as HTML with an index.

The overview notebook is executed against the store; notebooks that already ran (``kit batch``
writes them to ``runs/<run_id>/``) are only rendered, never re-executed, so the report shows what
those runs really printed, errors included. nbconvert embeds figures as base64 PNGs, so each
page stands on its own. Each notebook gets a page for readers (code hidden, a table of
contents, the run's headline first) and one with the code (:mod:`kit.runs.pages`).
"""

from __future__ import annotations

import html
import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from kit.config import notebooks_dir
from kit.errors import KitError, NotebookError, UsageError
from kit.model.store import Store
from kit.runs.notebooks import execute
from kit.runs.pages import code_page, render_pages

log = logging.getLogger("kit.runs.report")
OVERVIEW = "00_overview.ipynb"


@dataclass(frozen=True)
class Page:
    """One notebook of the report."""

    title: str
    notebook: Path  # the executed notebook, in the report folder
    html: Path | None  # None when not even a failed notebook could be rendered
    status: Literal["ok", "failed"]
    run_id: str
    parameters: str  # what papermill injected, as JSON
    error: str | None = None
    code_html: Path | None = None  # the same page with its code cells


@dataclass(frozen=True)
class Report:
    index: Path
    pages: tuple[Page, ...]

    @property
    def failed(self) -> tuple[Page, ...]:
        return tuple(p for p in self.pages if p.status != "ok")


def _read(notebook: Path) -> Any:
    import nbformat

    return nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]


def notebook_error(nb: Any) -> str | None:
    """The first error a notebook shows (``ename: evalue``), or None when it shows none."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        if cell.get("metadata", {}).get("papermill", {}).get("status") == "failed":
            return "a cell failed"
    if nb.metadata.get("papermill", {}).get("exception"):
        return "papermill recorded an exception"
    return None


def executed(nb: Any) -> bool:
    return bool(nb.metadata.get("papermill")) or any(
        cell.get("execution_count") or cell.get("outputs")
        for cell in nb.cells
        if cell.cell_type == "code"
    )


def title_of(nb: Any, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in str(cell.source).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _page(notebook: Path, html_path: Path | None, run_id: str, error: str | None = None) -> Page:
    nb = _read(notebook)
    error = error or notebook_error(nb)
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    shown = html_path if html_path is not None and html_path.exists() else None
    code = code_page(shown) if shown is not None else None
    return Page(
        title=title_of(nb, notebook.stem),
        notebook=notebook,
        html=shown,
        status="failed" if error else "ok",
        run_id=run_id,
        parameters=json.dumps(params, sort_keys=True, default=str),
        error=error,
        code_html=code if code is not None and code.exists() else None,
    )


def default_runs(root: Path = Path("runs")) -> list[Path]:
    """Every run directory ``kit batch`` left under ``root``, oldest name first."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _notebooks(run: Path) -> list[Path]:
    if run.suffix == ".ipynb":
        return [run]
    if not run.is_dir():
        raise UsageError(f"no such run directory: {run}", file=run)
    return sorted(
        p
        for p in run.rglob("*.ipynb")
        if not any(part.startswith(".") for part in p.relative_to(run).parts)
    )


def render_runs(runs: Sequence[Path], out: Path) -> list[Page]:
    """Copy each executed notebook under ``out/<run name>/`` and render it there."""
    pages: list[Page] = []
    taken: set[str] = set()
    for run in runs:
        base = run.parent if run.suffix == ".ipynb" else run
        name = base.resolve().name
        folder, n = name, 2
        while folder in taken:  # two run directories with one name, from different places
            folder, n = f"{name}-{n}", n + 1
        taken.add(folder)
        for source in _notebooks(run):
            if not executed(_read(source)):
                log.info("skipping %s: it was never executed", source)
                continue
            target = out / folder / source.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.resolve() != target.resolve():
                shutil.copyfile(source, target)
            page, _ = render_pages(target, index=out / "index.html")
            pages.append(_page(target, page, name))
    return pages


def render_overview(
    store: Path, out: Path, *, notebook: Path | None = None, progress: bool = False
) -> Page:
    """Execute the overview notebook (the bundled one unless given) against ``store`` into
    ``out``; a failure is a failed page."""
    notebook = notebook or notebooks_dir() / OVERVIEW
    try:
        runs = Store(store).runs()
    except KitError as exc:  # the notebook shows the same error, in full, on its page
        run_id = f"store unreadable: {exc.message}"
    else:
        ids = {r.run.run_id for r in runs}
        run_id = f"{len(ids)} run(s), latest {runs[-1].run.run_id}" if runs else "no runs"
    params = {"store": str(store.resolve())}
    error = None
    try:
        ipynb, _ = execute(notebook, out, params, timeout_s=600, progress=progress, html=False)
    except NotebookError as exc:
        ipynb, error = out / notebook.name, exc.message
        if not ipynb.exists():
            raise
    page, _ = render_pages(ipynb, index=out / "index.html")
    return _page(ipynb, page, run_id, error)


_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .4em .6em; text-align: left; vertical-align: top; }
.ok { color: #2e7d32; font-weight: bold; } .failed { color: #c62828; font-weight: bold; }
code { font-size: 90%; } .meta { color: #555; }
"""


def write_index(pages: Sequence[Page], out: Path, *, store: Path, generated: str) -> Path:
    """``out/index.html``: one row per page with its status, run id and parameters."""
    rows = []
    for p in pages:
        if p.html is not None:
            href = html.escape(quote(str(p.html.relative_to(out))))
            link = f'<a href="{href}">{html.escape(p.title)}</a>'
            if p.code_html is not None:
                code = html.escape(quote(str(p.code_html.relative_to(out))))
                link += f' <small>(<a href="{code}">with the code</a>)</small>'
        else:
            link = html.escape(p.title) + " (no page: the notebook could not be rendered)"
        status = f'<span class="{p.status}">{p.status}</span>'
        if p.error:
            status += f"<br><small>{html.escape(p.error)}</small>"
        rows.append(
            f"<tr><td>{link}<br><small><code>{html.escape(str(p.notebook.relative_to(out)))}"
            f"</code></small></td><td>{status}</td><td><code>{html.escape(p.run_id)}</code></td>"
            f"<td><code>{html.escape(p.parameters)}</code></td></tr>"
        )
    failed = sum(p.status != "ok" for p in pages)
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>image-diet kit report</title>
<style>{_CSS}</style></head><body>
<h1>image-diet kit report</h1>
<p class="meta">Generated {html.escape(generated)} (UTC) from the store
<code>{html.escape(str(store.resolve()))}</code>: {len(pages)} notebook(s),
<span class="{"failed" if failed else "ok"}">{failed} failed</span>.</p>
<table><thead><tr><th>notebook</th><th>status</th><th>run id</th><th>parameters</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    index = out / "index.html"
    index.write_text(body, encoding="utf-8")
    return index


def build_report(
    runs: Path | Sequence[Path],
    store: Path,
    out: Path = Path("reports"),
    *,
    overview: Path | None = None,
    progress: bool = False,
) -> Report:
    """The overview executed against ``store``, every executed notebook in ``runs`` rendered,
    and an index linking them all; see :func:`render_report`."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    run_dirs = [Path(runs)] if isinstance(runs, str | Path) else [Path(r) for r in runs]
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    pages = [render_overview(Path(store), out, notebook=overview, progress=progress)]
    pages += render_runs(run_dirs, out)
    return Report(write_index(pages, out, store=Path(store), generated=generated), tuple(pages))


def render_report(runs: Path | Sequence[Path], store: Path, out: Path = Path("reports")) -> Path:
    """Execute the overview against ``store``, render every executed notebook found in ``runs``
    (run directories, e.g. ``runs/<run_id>/``) into ``out``, and return ``out/index.html``."""
    return build_report(runs, store, out).index
