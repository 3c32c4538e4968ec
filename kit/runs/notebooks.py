"""Execute a notebook with papermill and render it to HTML.

As papermill does, the executed notebook (and its HTML) is written before an error is raised, so
a failed run can still be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kit.errors import NotebookError

KERNEL = "python3"


def render_html(notebook: Path) -> Path:
    import nbconvert
    import nbformat

    exporter = nbconvert.HTMLExporter()  # type: ignore[no-untyped-call]
    node = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    body, _ = exporter.from_notebook_node(node)
    html = notebook.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    return html


def execute(
    notebook: str | Path,
    out_dir: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    timeout_s: int = 3600,
    progress: bool = True,
    html: bool = True,
) -> tuple[Path, Path]:
    """Run ``notebook`` into ``out_dir`` (cwd: the notebook's folder); return (ipynb, html)."""
    import papermill

    source = Path(notebook).resolve()
    if not source.exists():
        raise NotebookError(f"no such notebook: {source}", file=source)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    target = out / source.name
    failure: Exception | None = None
    try:
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters=dict(parameters or {}),
            kernel_name=KERNEL,
            cwd=str(source.parent),
            execution_timeout=timeout_s,
            progress_bar=progress,
        )
    except papermill.PapermillExecutionError as exc:
        failure = exc
    page = render_html(target) if html and target.exists() else target.with_suffix(".html")
    if failure is not None:
        raise NotebookError(
            f"notebook failed in cell {getattr(failure, 'exec_count', '?')}: "
            f"{getattr(failure, 'ename', '')}: {getattr(failure, 'evalue', '')}",
            file=target,
            hint=f"the executed notebook is kept: {target}",
        ) from failure
    return target, page
