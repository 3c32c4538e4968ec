"""The HTML pages of an executed notebook, without a browser: the readers' page hides the code,
has a table of contents whose links point at its own headings, puts the headline first and
links to the page with the code; a progress bar's redraws end as one line."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kit.runs.pages import HEADLINE_TAG, render_pages

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
CODE = "results = measure_everything('secret-code-marker')"
FRAMES = "".join(f"\rbuilding: {i}/12" for i in range(13)) + "\n"


def executed(tmp_path: Path) -> Path:
    frames = [new_output("stream", name="stderr", text=f"\rbuilding: {i}/12") for i in range(12)]
    headline = new_code_cell(
        "kit.views.summary.headline(results)",
        metadata={"tags": [HEADLINE_TAG]},
        execution_count=3,
        outputs=[
            new_output(
                "execute_result",
                data={"text/markdown": "**At a glance** — best: **slim**, 3.1× smaller"},
                execution_count=3,
            )
        ],
    )
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 01 · A title\n\nWhat this page is about."),
            new_markdown_cell("## Build and measure"),
            new_code_cell(
                CODE,
                execution_count=1,
                outputs=[*frames, new_output("stream", name="stderr", text="\rbuilding: 12/12\n")],
            ),
            new_markdown_cell("## Size & layers"),
            new_code_cell(
                "table",
                execution_count=2,
                outputs=[
                    new_output(
                        "execute_result",
                        data={"text/html": "<table><tr><td>wide</td></tr></table>"},
                        execution_count=2,
                    )
                ],
            ),
            headline,
        ],
        metadata=KERNEL,
    )
    path = tmp_path / "run" / "01.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


def test_the_readers_page_and_the_code_page(tmp_path: Path) -> None:
    page, code = render_pages(executed(tmp_path), index=tmp_path / "index.html")
    assert (page.name, code.name) == ("01.html", "01-code.html")
    text, full = page.read_text(), code.read_text()

    assert "secret-code-marker" not in text and "secret-code-marker" in full
    assert 'href="01-code.html"' in text and 'href="01.html"' in full
    assert 'href="../index.html"' in text and 'href="../index.html"' in full

    toc = re.search(r'<nav class="kit-toc".*?</nav>', text, re.DOTALL)
    assert toc is not None
    targets = re.findall(r'href="#([^"]+)"', toc.group(0))
    assert len(targets) == 2  # the two h2 sections; the title is the page's own
    for target in targets:
        assert f'id="{target}"' in text

    # The headline, last in the notebook, comes right after the title on the readers' page.
    assert text.index("At a glance") < text.index('id="Build-and-measure"')
    assert full.index("At a glance") > full.index('id="Build-and-measure"')

    # Twelve redraws of a bar end as its last line.
    assert "building: 12/12" in text and "building: 5/12" not in text
    assert "overflow-x: auto" in text  # wide tables scroll in their cell, not the page


def test_without_an_index_there_is_no_index_link(tmp_path: Path) -> None:
    page, _ = render_pages(executed(tmp_path))
    assert "index.html" not in page.read_text()
