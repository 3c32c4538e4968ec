"""Executed notebooks name no absolute path of the machine that ran them (kit.runs.portable):
the kit's two ways of executing (``kit batch``'s cells, ``kit notebook``), tiny notebooks on the
"python3" kernel, and the committed notebooks."""

from __future__ import annotations

import ast
import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from notebook_factory import make_notebook

from kit.errors import NotebookError
from kit.runs.batch import run_batch
from kit.runs.notebooks import execute
from kit.runs.portable import relative_parameters

REPO = Path(__file__).resolve().parents[2]
PARAMETERS = "store = None\napp = None\nelsewhere = None\n"
REPORT = """\
import json, os
print(json.dumps({"cwd": os.getcwd(), "store": store, "app": app, "elsewhere": elsewhere}))
"""
ELSEWHERE = "/srv/elsewhere/results"  # an absolute path outside the project: kept as given


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def injected(nb: Any) -> dict[str, Any]:
    """The values the injected-parameters cells assign, read back as Python literals."""
    values: dict[str, Any] = {}
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", ()):
            for node in ast.parse(cell.source).body:
                assert isinstance(node, ast.Assign), cell.source
                values[ast.unparse(node.targets[0])] = ast.literal_eval(node.value)
    return values


def absolute(nb: Any) -> list[str]:
    """Every absolute path in the notebook's metadata and injected parameters."""
    found = strings(nb.metadata), strings(injected(nb))
    return [text for texts in found for text in texts if os.path.isabs(text)]


def printed(path: Path) -> dict[str, Any]:
    nb = nbformat.read(path, as_version=4)
    report: dict[str, Any] = json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs))
    return report


def test_a_batch_cell_in_a_repository_names_its_paths_relative_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()  # what makes tmp_path a repository
    make_notebook(tmp_path / "nb" / "report.ipynb", PARAMETERS, REPORT)
    app = tmp_path / "apps" / "a"
    (tmp_path / "nb" / "m.yml").write_text(
        textwrap.dedent(f"""\
        notebooks:
          - notebook: report.ipynb
            parameters: {{app: {app}, elsewhere: {ELSEWHERE}}}
        """)
    )
    monkeypatch.chdir(tmp_path)
    result = run_batch(tmp_path / "nb" / "m.yml", run_id="r1", quiet=True)
    (cell,) = result.cells
    assert cell.status == "ok"
    nb = nbformat.read(cell.output, as_version=4)
    record = nb.metadata.papermill
    assert record.input_path == "nb/report.ipynb"
    assert record.output_path == f"runs/r1/{cell.output.name}"
    assert absolute(nb) == [ELSEWHERE, ELSEWHERE]  # in the metadata and in the injected cell
    expected = {"store": "../results", "app": "../apps/a", "elsewhere": ELSEWHERE}
    assert dict(record.parameters) == expected == injected(nb)
    # The kernel was given the store relative to its folder already, and it is the batch's.
    seen = printed(cell.output)
    assert seen["store"] == "../results"
    assert (Path(seen["cwd"]) / seen["store"]).resolve() == tmp_path / "results"
    assert seen["app"] == str(app)  # the matrix's own value ran as given; only its record moved


def test_kit_notebook_outside_a_repository_names_paths_from_the_output_folder(
    tmp_path: Path,
) -> None:
    source = make_notebook(tmp_path / "src" / "fails.ipynb", PARAMETERS, "raise ValueError(app)")
    out = tmp_path / "out"
    in_out = out / "store"
    with pytest.raises(NotebookError):  # a failed notebook is written, and rewritten, too
        execute(source, out, {"store": str(in_out), "app": ELSEWHERE}, progress=False, html=False)
    nb = nbformat.read(out / "fails.ipynb", as_version=4)
    record = nb.metadata.papermill
    assert record.input_path == "../src/fails.ipynb" and record.output_path == "fails.ipynb"
    # Inside the output folder: relative to the kernel's folder (src/); elsewhere: as given.
    assert dict(record.parameters) == {"store": "../out/store", "app": ELSEWHERE}
    assert injected(nb) == dict(record.parameters)


def test_relative_parameters_rewrites_paths_in_lists_and_leaves_the_rest(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    cwd, run_dir = tmp_path / "nb", tmp_path / "runs" / "r"
    given = {
        "apps": [str(tmp_path / "a"), "b", str(tmp_path / "x" / ".." / "c")],
        "out": str(run_dir / "o"),
        "trials": 3,
        "store": ELSEWHERE,
    }
    assert relative_parameters(given, cwd, run_dir) == {
        "apps": ["../a", "b", "../c"],
        "out": "../runs/r/o",
        "trials": 3,
        "store": ELSEWHERE,
    }


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebooks_name_no_absolute_path(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert absolute(nb) == []
    record = nb.metadata.get("papermill")
    if record is not None:  # executed in place from the repository's root by `make notebooks`
        assert record["input_path"] == record["output_path"] == f"notebooks/{path.name}"
