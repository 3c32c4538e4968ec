"""``kit report``: the overview of the store plus every executed notebook, as HTML with an index.

The overview notebook is executed against the store; notebooks that already ran (``kit batch``
writes them to ``runs/<run_id>/``) are only rendered, never re-executed, so the report shows what
those runs really printed, errors included. nbconvert embeds figures as base64 PNGs, so each
page stands on its own. Each notebook gets a page for readers (code hidden, a table of
contents, the run's headline first) and one with the code (:mod:`kit.runs.pages`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kit.config import notebooks_dir
from kit.errors import KitError, NotebookError, UsageError
from kit.model.store import Store
from kit.runs.index import Page, PageStatus, write_index
from kit.runs.notebooks import execute
from kit.runs.pages import code_page, render_pages
from kit.runs.portable import relative_parameter
from kit.runs.state import STATE, batch_timings, breakdown, record_phase
from kit.runs.summaries import missing, summaries

log = logging.getLogger("kit.runs.report")
OVERVIEW = "00_overview.ipynb"


@dataclass(frozen=True)
class Report:
    index: Path
    pages: tuple[Page, ...]
    runs: tuple[Path, ...] = ()  # the run directories rendered
    store: str = ""  # as the index shows it
    generated: str = ""

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


def shown_path(value: object, root: Path | None = None) -> object:
    """An absolute path as a reader of the report should see it: relative to ``root`` (the
    working directory: the repository, under ``make``) when under it; other values as they are."""
    if not isinstance(value, str) or not os.path.isabs(value):
        return value
    base = (root or Path.cwd()).resolve()
    path = Path(value).resolve()
    return str(path.relative_to(base)) if path.is_relative_to(base) else f"…/{path.name}"


def _page(notebook: Path, html_path: Path | None, run_id: str, error: str | None = None) -> Page:
    nb = _read(notebook)
    error = error or notebook_error(nb)
    found = tuple(summaries(nb))
    gap = missing(list(found))
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    params = {k: shown_path(v) for k, v in params.items()}
    shown = html_path if html_path is not None and html_path.exists() else None
    code = code_page(shown) if shown is not None else None
    status: PageStatus = "failed" if error else "partial" if gap else "ok"
    return Page(
        title=title_of(nb, notebook.stem),
        notebook=notebook,
        html=shown,
        status=status,
        run_id=run_id,
        parameters=json.dumps(params, sort_keys=True, default=str),
        error=error or gap,
        code_html=code if code is not None and code.exists() else None,
        summaries=found,
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
    # Relative to the kernel's working directory (the notebook's folder) where the store is in
    # its repository or in ``out``; a store elsewhere stays absolute (the page shows its name
    # only), not a ``../../../tmp/...`` that spells out this machine's folders.
    params = {"store": relative_parameter(str(store.resolve()), notebook.parent, out)}
    error = None
    try:
        ipynb, _ = execute(notebook, out, params, timeout_s=600, progress=progress, html=False)
    except NotebookError as exc:
        ipynb, error = out / notebook.name, exc.message
        if not ipynb.exists():
            raise
    page, _ = render_pages(ipynb, index=out / "index.html")
    return _page(ipynb, page, run_id, error)


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
    shown = str(shown_path(str(Path(store).resolve())))
    report = Report(out / "index.html", tuple(pages), tuple(run_dirs), shown, generated)
    _index(report)
    return report


def _timings(report: Report) -> list[tuple[str, float]]:
    return [t for run in report.runs if run.is_dir() for t in batch_timings(run)]


def _index(report: Report) -> None:
    write_index(
        report.pages,
        report.index.parent,
        store=report.store,
        generated=report.generated,
        timings=_timings(report),
    )


def time_report(report: Report, seconds: float) -> str | None:
    """Record the report's own time in each batch it rendered, write the index again with
    it, and return the breakdown in one line (None when no batch recorded its time)."""
    batches = [run for run in report.runs if (run / STATE).is_file()]
    for run in batches:
        record_phase(run, "report", seconds)
    if not batches:
        return None
    _index(report)
    return breakdown(_timings(report))


def render_report(runs: Path | Sequence[Path], store: Path, out: Path = Path("reports")) -> Path:
    """Execute the overview against ``store``, render every executed notebook found in ``runs``
    (run directories, e.g. ``runs/<run_id>/``) into ``out``, and return ``out/index.html``."""
    return build_report(runs, store, out).index
