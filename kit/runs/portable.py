"""Executed notebooks that name no folder of the machine that ran them.

papermill records the absolute paths it was given (``metadata.papermill.input_path`` and
``output_path``) and the parameters it injected (``metadata.papermill.parameters`` and the
``injected-parameters`` cell), which can hold absolute paths too (a store, an app). A committed
notebook or a run's notebook would then carry ``/home/someone/...``. After papermill has written
the notebook, :func:`make_portable` rewrites it in place:

- ``input_path`` and ``output_path`` relative to the repository the executed notebook lies in
  (the nearest folder above it holding ``.git``): ``notebooks/01_base_images.ipynb``,
  ``runs/<id>/01_base_images.ipynb``. Outside any repository they are relative to the executed
  notebook's own folder instead (``output_path`` is then its name alone).
- a parameter that is an absolute path inside that repository (of the kernel's folder) or inside
  the executed notebook's folder (a run dir) relative to the kernel's working directory, the
  source notebook's folder: what the notebook's own defaults are relative to (``store =
  "../results"``), so the injected cell means the same when the notebook is run again. Any other
  absolute path (a store elsewhere on purpose) is the caller's choice and stays as given.

Outputs are left as they are: they are what the notebook printed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nbformat

INJECTED = "injected-parameters"


def repository_of(path: Path) -> Path | None:
    """The git work tree ``path`` lies in (its nearest folder holding ``.git``), if any."""
    for folder in (path, *path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _relative(value: Any, cwd: Path, roots: tuple[Path, ...]) -> Any:
    if isinstance(value, str) and os.path.isabs(value):
        path = Path(os.path.normpath(value))
        if any(path.is_relative_to(root) for root in roots):
            return os.path.relpath(path, cwd)
        return value
    if isinstance(value, list):
        return [_relative(item, cwd, roots) for item in value]
    return value


def _roots(cwd: Path, output_dir: Path) -> tuple[Path, ...]:
    repository = repository_of(cwd)
    return (output_dir,) if repository is None else (repository, output_dir)


def relative_parameter(value: Any, cwd: Path, output_dir: Path) -> Any:
    """``value`` (a parameter, or a list of them) with each absolute path inside the
    repository of ``cwd`` or inside ``output_dir`` written relative to ``cwd``."""
    folder = cwd.resolve()
    return _relative(value, folder, _roots(folder, output_dir.resolve()))


def relative_parameters(
    parameters: Mapping[str, Any], cwd: Path, output_dir: Path
) -> dict[str, Any]:
    return {name: relative_parameter(value, cwd, output_dir) for name, value in parameters.items()}


def _injected_source(nb: Any, parameters: Mapping[str, Any]) -> str:
    from papermill.engines import papermill_engines
    from papermill.translators import translate_parameters

    # What papermill's own parameterize_notebook writes (same translator, same comment).
    kernel = papermill_engines.nb_kernel_name(None, nb, None)
    language = papermill_engines.nb_language(None, nb, None)
    return str(translate_parameters(kernel, language, dict(parameters), "Parameters"))


def _cells_tagged(nb: Any, tag: str) -> Iterable[Any]:
    return (cell for cell in nb.cells if tag in cell.get("metadata", {}).get("tags", ()))


def make_portable(notebook: Path, cwd: Path) -> None:
    """Rewrite the papermill record of the executed ``notebook`` (kernel run in ``cwd``) as the
    module says; a notebook papermill has not written (no ``metadata.papermill``) is left."""
    target = notebook.resolve()
    nb = nbformat.read(target, as_version=4)  # type: ignore[no-untyped-call]
    record = nb.metadata.get("papermill")
    if record is None:
        return
    base = repository_of(target.parent) or target.parent
    for key in ("input_path", "output_path"):
        value = record.get(key)
        if isinstance(value, str) and os.path.isabs(value):
            record[key] = os.path.relpath(value, base)
    parameters = record.get("parameters") or {}
    relative = relative_parameters(parameters, cwd, target.parent)
    if relative != parameters:
        record["parameters"] = relative
        for cell in _cells_tagged(nb, INJECTED):
            cell.source = _injected_source(nb, relative)
    text = nbformat.writes(nb)  # type: ignore[no-untyped-call]
    target.write_text(text, encoding="utf-8")  # as papermill writes it (no newline at the end)
