"""Execute a notebook with papermill and render it to HTML (:mod:`kit.runs.pages`).

As papermill does, the executed notebook (and its HTML) is written before an error is raised, so
a failed run can still be read. The kernel runs with ``KIT_PROGRESS=off``: papermill keeps every
redraw of a progress bar as an output, so an executed notebook shows none. The executed notebook
names no absolute path of this machine (:mod:`kit.runs.portable`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kit.errors import NotebookError
from kit.runs.pages import render_pages
from kit.runs.portable import make_portable

KERNEL = "python3"
#: Added to the environment of every kernel the kit starts for papermill.
KERNEL_ENV = {"KIT_PROGRESS": "off"}


def render_html(notebook: Path, *, index: Path | None = None) -> Path:
    """The readers' page of an executed notebook (its page with the code is written beside)."""
    page, _ = render_pages(notebook, index=index)
    return page


def _kernel_manager() -> type:
    """A kernel manager that starts the kernel with :data:`KERNEL_ENV` added to its environment
    (papermill passes no environment of its own; nothing process-wide changes)."""
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            env = {**(kw.pop("env", None) or os.environ), **KERNEL_ENV}
            await super().start_kernel(**kw, env=env)

    return QuietKernelManager


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
            kernel_manager_class=_kernel_manager(),
        )
    except papermill.PapermillExecutionError as exc:
        failure = exc
    if target.exists():
        make_portable(target, source.parent)
    page = render_html(target) if html and target.exists() else target.with_suffix(".html")
    if failure is not None:
        raise NotebookError(
            f"notebook failed in cell {getattr(failure, 'exec_count', '?')}: "
            f"{getattr(failure, 'ename', '')}: {getattr(failure, 'evalue', '')}",
            file=target,
            hint=f"the executed notebook is kept: {target}",
        ) from failure
    return target, page
