"""`kit report` without a browser: statuses, the index, run directories, an empty store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kit.runs.report import (
    Page,
    build_report,
    default_runs,
    executed,
    notebook_error,
    render_report,
    render_runs,
    shown_path,
    title_of,
    write_index,
)

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def notebook(title: str, *, error: bool = False, ran: bool = True, params: Any = None) -> Any:
    cell = new_code_cell("print('hello')", execution_count=1 if ran else None)
    if ran:
        cell.outputs = [new_output("stream", name="stdout", text="hello\n")]
    if error:
        cell.outputs.append(
            new_output("error", ename="ValueError", evalue="boom", traceback=["Traceback…"])
        )
    meta: dict[str, Any] = dict(KERNEL)
    if params is not None:
        meta["papermill"] = {"parameters": params, "exception": error}
    return new_notebook(cells=[new_markdown_cell(f"intro\n# {title}\ntext"), cell], metadata=meta)


def write(path: Path, nb: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_status_title_and_executed() -> None:
    assert notebook_error(notebook("t")) is None
    assert notebook_error(notebook("t", error=True)) == "ValueError: boom"
    assert title_of(notebook("The title"), "fallback") == "The title"
    assert title_of(new_notebook(), "fallback") == "fallback"
    assert executed(notebook("t")) and not executed(notebook("t", ran=False))
    # papermill's own record of a failure counts even when the outputs were cleared.
    failed = notebook("t", params={}, ran=False)
    failed.metadata["papermill"]["exception"] = True
    assert notebook_error(failed) is not None


def test_runs_are_copied_rendered_and_kept_apart(tmp_path: Path) -> None:
    one, two = tmp_path / "a" / "run1", tmp_path / "b" / "run1"
    write(one / "01.ipynb", notebook("First", params={"trials": 3}))
    write(one / "nested" / "02.ipynb", notebook("Second", error=True))
    write(one / "never-ran.ipynb", notebook("Never ran", ran=False))
    write(one / ".ipynb_checkpoints" / "01-checkpoint.ipynb", notebook("Checkpoint"))
    write(two / "01.ipynb", notebook("Other first"))
    out = tmp_path / "reports"
    pages = render_runs([one, two], out)
    got = {(str(p.notebook.relative_to(out)), p.status, p.run_id) for p in pages}
    assert got == {
        ("run1/01.ipynb", "ok", "run1"),
        ("run1/nested/02.ipynb", "failed", "run1"),
        ("run1-2/01.ipynb", "ok", "run1"),
    }
    for p in pages:
        assert p.html is not None and p.html.is_file() and p.html.parent.is_relative_to(out)
    first = next(p for p in pages if p.title == "First")
    assert first.parameters == '{"trials": 3}'
    # The run directories themselves are left as they were.
    assert sorted(x.name for x in one.iterdir()) == [
        ".ipynb_checkpoints",
        "01.ipynb",
        "nested",
        "never-ran.ipynb",
    ]


def test_a_single_notebook_can_be_given(tmp_path: Path) -> None:
    nb = write(tmp_path / "batch7" / "x.ipynb", notebook("X"))
    (page,) = render_runs([nb], tmp_path / "reports")
    assert page.run_id == "batch7" and page.notebook == tmp_path / "reports" / "batch7" / "x.ipynb"


def test_index_links_escape_and_count(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    (out / "r 1").mkdir(parents=True)
    page = out / "r 1" / "a=b.html"
    page.write_text("<html></html>")
    pages = [
        Page("<b>bold</b> title", out / "r 1" / "a=b.ipynb", page, "ok", "r 1", "{}"),
        Page("broken", out / "x.ipynb", None, "failed", "r2", "{}", error="KeyError: 'x' <y>"),
    ]
    store = str(shown_path(str(tmp_path / "store")))
    index = write_index(pages, out, store=store, generated="2026-11-28T00:00:00+00:00")
    text = index.read_text()
    assert 'href="r%201/a%3Db.html"' in text
    assert "&lt;b&gt;bold&lt;/b&gt; title" in text and "<b>bold</b>" not in text
    assert "KeyError: &#x27;x&#x27; &lt;y&gt;" in text
    assert "could not be rendered" in text and '<span class="failed">1 failed</span>' in text
    assert "…/store" in text and "2026-11-28T00:00:00+00:00" in text
    assert str(tmp_path) not in text  # no absolute path of the machine that ran it


def test_default_runs(tmp_path: Path) -> None:
    assert default_runs(tmp_path / "none") == []
    for name in ("b", "a", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "file.txt").write_text("")
    assert default_runs(tmp_path) == [tmp_path / "a", tmp_path / "b"]


def test_an_empty_store_gives_a_clear_message_not_a_crash(tmp_path: Path) -> None:
    index = render_report([], tmp_path / "no-store", tmp_path / "reports")
    assert index == (tmp_path / "reports" / "index.html").resolve()
    page = (index.parent / "00_overview.html").read_text()
    assert "holds no runs yet" in page and "Traceback" not in page
    assert "no runs" in index.read_text() and "all ok (0 partial, 0 failed)" in index.read_text()


def test_a_failing_overview_is_a_failed_page_not_a_crash(tmp_path: Path) -> None:
    bad = new_notebook(
        cells=[
            new_markdown_cell("# Overview that fails"),
            new_code_cell('store = "x"', metadata={"tags": ["parameters"]}),
            new_code_cell("raise RuntimeError('no overview today')"),
        ],
        metadata=KERNEL,
    )
    report = build_report(
        [], tmp_path / "store", tmp_path / "reports", overview=write(tmp_path / "o.ipynb", bad)
    )
    (page,) = report.pages
    assert report.failed == (page,) and page.error and "RuntimeError" in page.error
    assert page.html is not None and page.html.is_file()
    assert "no overview today" in report.index.read_text()
