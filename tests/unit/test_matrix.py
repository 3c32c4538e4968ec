"""kit.runs.matrix: the batch matrix format, and every problem reported with its file and line."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from notebook_factory import make_notebook

from kit.errors import KitError
from kit.runs.matrix import Cell, MatrixError, load_matrix

REPO = Path(__file__).resolve().parents[2]
PARAMETERS = 'trials = 5\nratio = 0.5\nname = "x"\nflag = False\nsizes = [1, 2]\nanything = None\n'


def notebook(path: Path, parameters: str = PARAMETERS, body: str = "print(trials)") -> Path:
    return make_notebook(path, parameters, body)


def matrix(tmp_path: Path, text: str) -> Path:
    notebook(tmp_path / "a.ipynb")
    notebook(tmp_path / "b.ipynb")
    path = tmp_path / "m.yml"
    path.write_text(text)
    return path


def problems(path: Path) -> tuple[str, ...]:
    with pytest.raises(MatrixError) as raised:
        load_matrix(path)
    assert isinstance(raised.value, KitError) and raised.value.file == str(path)
    return raised.value.problems


def named(cells: tuple[Cell, ...]) -> list[str]:
    return [c.name for c in cells]


def test_the_default_matrix_runs_every_bundled_notebook_on_the_local_profile() -> None:
    loaded = load_matrix(REPO / "notebooks" / "default.yml")
    # Every measurement notebook (00_overview reads the store; `kit report` runs it).
    bundled = sorted(p.stem for p in (REPO / "notebooks").glob("0[1-9]_*.ipynb"))
    assert len(bundled) >= 4
    assert named(loaded.cells) == [f"{stem}-profile=local" for stem in bundled]
    for cell in loaded.cells:
        assert cell.parameters == (("profile", "local"),)  # their own default trials
        assert cell.notebook.parent == REPO / "notebooks" and cell.notebook.exists()


def test_lists_expand_to_the_cartesian_product_under_the_common_parameters(
    tmp_path: Path,
) -> None:
    path = matrix(
        tmp_path,
        """\
run_id: nightly-1
timeout_s: 60
parameters: {name: common, trials: 1}
notebooks:
  - notebook: a.ipynb
    parameters:
      trials: [3, 5]
      ratio: [1, 2.5]
    timeout_s: 7
  - b.ipynb
""",
    )
    loaded = load_matrix(path)
    assert loaded.run_id == "nightly-1" and loaded.path == path
    assert named(loaded.cells) == [
        "a-name=common,ratio=1,trials=3",
        "a-name=common,ratio=1,trials=5",
        "a-name=common,ratio=2.5,trials=3",
        "a-name=common,ratio=2.5,trials=5",
        "b-name=common,trials=1",
    ]
    assert [c.timeout_s for c in loaded.cells] == [7, 7, 7, 7, 60]
    assert loaded.cells[0].parameters == (("name", "common"), ("ratio", 1), ("trials", 3))
    assert loaded.cells[0].notebook == tmp_path / "a.ipynb"
    assert "trials" in loaded.cells[0].declared and loaded.cells[0].line == 5


def test_names_are_safe_and_tell_apart_values_that_read_alike(tmp_path: Path) -> None:
    path = matrix(
        tmp_path,
        """\
notebooks:
  - notebook: a.ipynb
    parameters:
      name: ["../dockerfiles/node-server", "..-dockerfiles-node-server", "a b", "a_b", "a/b"]
      sizes: [[1, 2, 3]]
""",
    )
    names = named(load_matrix(path).cells)
    assert len(set(names)) == 5
    assert names[3] == "a-name=a_b,sizes=_1_2_3_~" + names[3].split("~")[1]
    for name in names:
        assert "/" not in name and " " not in name and name.startswith("a-name=")
    assert names == named(load_matrix(path).cells)  # deterministic


def test_every_problem_is_reported_at_once_with_file_and_line(tmp_path: Path) -> None:
    path = matrix(
        tmp_path,
        """\
run_id: "not safe/"
timeout_s: 0
extra: 1
parameters:
  bogus: 1
notebooks:
  - notebook: a.ipynb
    parameters:
      trials: [3, "five"]
      ratio: 2
      flag: "yes"
      sizes: [1, 2]
      trials: 4
  - notebook: missing.ipynb
  - notebook: b.ipynb
    parameters:
      name: []
      anything: [1, "x", null]
      unknown: 1
    colour: red
  - parameters: {trials: 1}
""",
    )
    found = problems(path)
    where = [p.split(": ")[0] for p in found]
    assert all(w.startswith(f"{path}:") for w in where), found
    lines = [int(w.rsplit(":", 1)[1]) for w in where]
    assert lines == sorted(lines)
    expected = {
        1: "run_id must match",
        2: "timeout_s must be a positive",
        3: "unknown key 'extra'",
        5: "a.ipynb has no parameter 'bogus'",
        9: "trials: 'five' does not fit a.ipynb's default 5 (int)",
        11: "flag: 'yes' does not fit",
        12: "sizes: 1 does not fit",
        13: "'trials' is given twice",
        14: "no such notebook",
        17: "name: an empty list",
        19: "b.ipynb has no parameter 'unknown'",
        20: "unknown key 'colour'",
        21: "needs `notebook: <file>.ipynb`",
    }
    for line, needle in expected.items():
        assert any(f":{line}: " in p and needle in p for p in found), (line, needle, found)
    # An int fits a float; anything fits a None default.
    assert not any(":10: " in p or ":18: " in p for p in found), found


def test_a_duplicate_cell_names_both_lines(tmp_path: Path) -> None:
    path = matrix(
        tmp_path,
        """\
notebooks:
  - notebook: a.ipynb
    parameters: {trials: [3, 5]}
  - notebook: a.ipynb
    parameters: {trials: 5}
""",
    )
    (found,) = problems(path)
    assert found.startswith(f"{path}:4: a-trials=5 is already a cell (line 2)")


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("notebooks:\n  - a.ipynb\n  - [b.ipynb\n", 4, "malformed YAML"),
        ("notebooks: [a.ipynb]\n---\nnotebooks: []\n", 2, "malformed YAML"),
        ("", 1, "the matrix is empty"),
        ("- a.ipynb\n", 1, "the matrix must be a mapping"),
        ("timeout_s: 5\n", 1, "needs `notebooks:`"),
        ("notebooks: []\n", 1, "needs `notebooks:`"),
        ("notebooks:\n  - notebook: a.ipynb\n    parameters: [1]\n", 3, "must be a mapping"),
    ],
)
def test_malformed_matrices(tmp_path: Path, text: str, line: int, needle: str) -> None:
    path = matrix(tmp_path, text)
    (found,) = problems(path)
    assert found.startswith(f"{path}:{line}: ") and needle in found, found


def test_a_notebook_without_a_parameters_cell_takes_no_parameters(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)")]
    nbformat.write(nb, tmp_path / "plain.ipynb")
    path = tmp_path / "m.yml"
    path.write_text(
        "notebooks:\n  - plain.ipynb\n  - notebook: plain.ipynb\n    parameters: {x: 1}\n"
    )
    (found,) = problems(path)
    assert ":4: plain.ipynb has no parameter 'x' (known: none" in found
    path.write_text("notebooks:\n  - plain.ipynb\n")
    assert named(load_matrix(path).cells) == ["plain"]


def test_a_file_that_is_not_a_notebook(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text("{not json")
    path = tmp_path / "m.yml"
    path.write_text("notebooks:\n  - broken.ipynb\n")
    (found,) = problems(path)
    assert ":2: cannot read the notebook broken.ipynb" in found


def test_an_annotation_decides_the_type_when_it_names_plain_types(tmp_path: Path) -> None:
    notebook(
        tmp_path / "typed.ipynb",
        'ratio: float = 1\nlabel: Optional[str] = "a"\nflag: bool = True\n'
        'where: Path = Path(".")\n',
    )
    path = tmp_path / "m.yml"
    path.write_text(
        "notebooks:\n  - notebook: typed.ipynb\n    parameters:\n"
        "      ratio: [2.5, 3]\n      label: [null, b]\n      where: [x, 1]\n"
    )
    assert len(load_matrix(path).cells) == 8
    path.write_text(
        "notebooks:\n  - notebook: typed.ipynb\n    parameters:\n      ratio: '2'\n      flag: 1\n"
    )
    found = problems(path)
    assert len(found) == 2
    assert ":4: ratio: '2' does not fit typed.ipynb's default 1 (float or int)" in found[0]
    assert ":5: flag: 1 does not fit" in found[1]
