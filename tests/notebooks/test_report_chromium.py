"""`kit report` as a reader sees it: the pages opened in headless Chromium, offline.

The store is made from hand-built results (no engine); the overview notebook is executed against
it for real, and two executed notebooks stand for a `kit batch` run: one ok (it reads a run from
the store and shows its headline, a table and a figure, the way the bundled notebooks do), one
failed. The readers' pages must hide the code, carry a table of contents whose links land, put
the headline above the first section, and not be wider than the window."""

from __future__ import annotations

import base64
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from prereq import unavailable

from kit.errors import KitError, NotebookError
from kit.runs.notebooks import execute
from kit.runs.report import build_report
from kit.model.rows import ImageResult, RunInfo, TrialResult
from kit.model.results import Results
from kit.model.store import Store

CHROMIUM = Path("/usr/bin/chromium")
OVERVIEW_FIGURES = 2  # plot_overview and plot_history
PNG = b"\x89PNG\r\n\x1a\n"
# After load, write each embedded PNG's decoded size into the DOM, where --dump-dom shows it.
PROBE = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images].filter((i) => i.src.startsWith("data:image/png"));
  document.body.setAttribute("data-png-sizes",
    imgs.map((i) => `${i.naturalWidth}x${i.naturalHeight}`).join(","));
});
</script>"""
# On a readers' page: which in-page links land on an element, whether the page is wider than the
# window, how many code inputs are shown, and where the headline is against the first section.
READER_PROBE = """<script>
window.addEventListener("load", () => {
  const toc = [...document.querySelectorAll("nav.kit-toc a")];
  const landed = toc.filter((a) => document.getElementById(decodeURIComponent(a.hash.slice(1))));
  const text = document.body.innerText;
  const first = document.querySelector("main h2");
  const head = [...document.querySelectorAll("strong")].find((s) => s.textContent === "At a glance");
  const before = head && first ? !!(head.compareDocumentPosition(first) & 4) : false;
  document.body.setAttribute("data-toc", `${landed.length}/${toc.length}`);
  document.body.setAttribute("data-overflow",
    `${document.documentElement.scrollWidth}/${document.documentElement.clientWidth}`);
  // A table wider than its output area must scroll in its own box, not run past the area's edge.
  const cut = [...document.querySelectorAll(".jp-OutputArea-output table")].filter((t) =>
    t.getBoundingClientRect().right > t.closest(".jp-OutputArea-output").getBoundingClientRect().right + 1);
  document.body.setAttribute("data-cut-tables", `${cut.length}`);
  document.body.setAttribute("data-inputs", `${document.querySelectorAll(".jp-CodeCell .jp-InputArea").length}`);
  document.body.setAttribute("data-headline-first", `${before}`);
  document.body.setAttribute("data-code-shown", `${text.includes("headline(results)")}`);
});
</script>"""


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        from kit.host.apt import apt_install

        try:
            apt_install("chromium")
        except KitError as exc:
            unavailable(f"no {CHROMIUM}, and it could not be installed: {exc.message}")
    return CHROMIUM


def dom(chromium: Path, page: Path, profile: Path) -> str:
    """The DOM after load, from a browser that cannot resolve any host: file:// only."""
    done = subprocess.run(
        [
            str(chromium),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-proxy-server",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-extensions",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--run-all-compositor-stages-before-draw",
            "--window-size=900,800",
            "--virtual-time-budget=10000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<body" in done.stdout, done.stderr[-2000:]
    return done.stdout


class Page(HTMLParser):
    """Links, embedded images, stderr blocks and the body's attributes of a DOM dump."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.stderr: list[str] = []
        self.body: dict[str, str | None] = {}
        self._depth = 0  # >0 inside a stderr output
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag == "img":
            self.images.append(str(found.get("src") or ""))
        if tag == "body":
            self.body = found
        if self._depth:
            self._depth += 1
        elif found.get("data-mime-type") == "application/vnd.jupyter.stderr":
            self._depth = 1
            self.stderr.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.stderr[-1] += data


def png_size(src: str) -> tuple[int, int]:
    raw = base64.b64decode(src.split(",", 1)[1], validate=True)
    assert raw.startswith(PNG) and raw[12:16] == b"IHDR"
    width, height = struct.unpack(">II", raw[16:24])
    return width, height


def make_store(root: Path) -> Store:
    store = Store(root)
    for day, app, sizes in (
        (1, "web", {"full": 300_000_000, "slim": 120_000_000}),
        (2, "web", {"full": 300_000_000, "slim": 150_000_000}),
        (2, "tool", {"naive": 90_000_000, "busybox": 5_000_000}),
    ):
        run = RunInfo(
            run_id=f"2026110{day}T000000Z-{app}{day}",
            kit_version="0.1.0",
            engine_version="20.10.24",
            engine_api="1.41",
            storage_driver="overlay2",
            containerd_store=False,
            engine_host="unix://",
            host="test",
            profile="local",
            requested_profile="local",
            timestamp_utc=f"2026-11-0{day}T00:00:00+00:00",
            git_commit=str(day) * 40,
        )
        images = tuple(
            ImageResult(
                app=app,
                variant=variant,
                description="",
                status="ok",
                error=None,
                error_type=None,
                dockerfile=f"Dockerfile.{variant}",
                dockerfile_sha256=None,
                stages=1,
                size_bytes=size,
                compressed_bytes=size // 3,
                layers=3,
                build_cold_s=10.0,
                build_warm_s=1.0,
            )
            for variant, size in sizes.items()
        )
        starts = tuple(
            TrialResult(
                trial=i,
                warmup=i == 0,
                create_s=0.01,
                start_s=0.05,
                ready_s=0.1 + i / 100,
                total_s=0.16 + i / 100,
                exit_code=0,
                error=None,
                error_type=None,
                app=app,
                variant=variant,
                status="ok",
            )
            for variant in sizes
            for i in range(4)
        )
        store.append(Results(run=run, app=app, title=app, image_rows=images, trial_rows=starts))
    return store


def batch_run(folder: Path, store: Path) -> Path:
    """A run directory as `kit batch` leaves it: executed notebooks, one of them failed."""
    sources = folder / "src"
    sources.mkdir(parents=True)
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    headline = new_code_cell("kit.views.summary.headline(results)")
    headline.metadata["tags"] = ["kit-headline"]
    good = new_notebook(
        cells=[
            new_markdown_cell("# A good notebook\n\nIt reads one run of the store."),
            new_code_cell(f"import kit\nresults = kit.Store({str(store)!r}).results(app='web')"),
            headline,
            new_markdown_cell("## Images of the run"),
            new_code_cell("kit.views.images.table(results)"),
            new_markdown_cell("## A wide table\n\nMore columns than the window is wide."),
            new_code_cell(
                "import pandas as pd\n"
                "pd.DataFrame([{f'column number {i} (MB)': i * 1000.5 for i in range(40)}])"
            ),
            new_markdown_cell("## One figure"),
            new_code_cell(
                "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]);\nplt.title('one figure');"
            ),
        ],
        metadata=meta,
    )
    bad = new_notebook(
        cells=[new_markdown_cell("# A bad notebook"), new_code_cell("raise ValueError('boom')")],
        metadata=meta,
    )
    partial_headline = new_code_cell(PARTIAL.format(store=str(store)))
    partial_headline.metadata["tags"] = ["kit-headline"]
    partial = new_notebook(
        cells=[new_markdown_cell("# A partial notebook"), partial_headline], metadata=meta
    )
    nbformat.write(good, sources / "good.ipynb")
    nbformat.write(bad, sources / "bad.ipynb")
    nbformat.write(partial, sources / "partial.ipynb")
    run = folder / "runs" / "20261102T000000Z-batch1"
    execute(sources / "good.ipynb", run, html=False, progress=False)
    execute(sources / "partial.ipynb", run, html=False, progress=False)
    with pytest.raises(NotebookError):
        execute(sources / "bad.ipynb", run, html=False, progress=False)
    return run


#: A run whose fresh host would not start: every variant's row failed, with the cause.
PARTIAL = """import dataclasses, kit
from kit.model.rows import DistributionRow
results = kit.Store({store!r}).results(app="web")
failed = tuple(
    DistributionRow(app="web", variant=r.variant, trial=0, mode="cold", push_s=None, pull_s=None,
        pushed_bytes=None, pulled_bytes=None, status="failed", scenario="fresh-host",
        error="fresh host: the extra dockerd exited with code 1: bind: invalid argument")
    for r in results.ok
)
kit.views.summary.headline(dataclasses.replace(results, distribution_rows=failed))"""
#: The index as a reader reads it: its rendered text, and each notebook's section heading.
INDEX_PROBE = """<script>
window.addEventListener("load", () => {
  document.body.setAttribute("data-text", document.body.innerText);
  document.body.setAttribute("data-sections",
    [...document.querySelectorAll("section.nb h2")].map((h) => h.innerText).join(" | "));
});
</script>"""


def probed(chromium: Path, page: Path, script: str, profile: Path) -> Page:
    """The page's DOM after ``script`` ran at load (a copy beside it, so relative links hold)."""
    copy = page.with_name(f"probed-{page.name}")
    copy.write_text(page.read_text().replace("</body>", script + "</body>"))
    return Page(dom(chromium, copy, profile))


def test_report_pages_open_in_chromium(chromium: Path, tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    run = batch_run(tmp_path, store.root)
    out = tmp_path / "reports"
    report = build_report([run], store.root, out)
    assert report.index == out.resolve() / "index.html"
    statuses = {p.notebook.name: p.status for p in report.pages}
    assert statuses == {
        "00_overview.ipynb": "ok",
        "good.ipynb": "ok",
        "bad.ipynb": "failed",
        "partial.ipynb": "partial",
    }

    index = Page(dom(chromium, report.index, tmp_path / "chromium"))
    targets = {(report.index.parent / link).resolve() for link in index.links}
    assert all(t.is_file() for t in targets), targets
    # Each page, and its version with the code.
    assert targets == {p.html for p in report.pages} | {p.code_html for p in report.pages}
    assert len(targets) == 8
    text = report.index.read_text()
    assert str(tmp_path) not in text and "Generated 20" in text  # no path of this machine
    assert text.count('class="status failed">failed<') == 1 and "ValueError: boom" in text

    # The front page as rendered: each notebook's status, the partial one's cause, the
    # headline figures and verdicts, and what the run measured on.
    front = probed(chromium, report.index, INDEX_PROBE, tmp_path / "chromium")
    shown, sections = str(front.body.get("data-text")), str(front.body.get("data-sections"))
    assert "A good notebook — ok" in sections and "A bad notebook — failed" in sections
    assert "A partial notebook — partial" in sections
    assert "4 notebook(s): 2 ok, 1 partial, 1 failed" in shown and "0 failed" not in shown
    assert "Not measured — failed:" in shown and "bind: invalid argument" in shown
    assert "slim, 150 MB: 2.0× smaller than full (300 MB)" in shown
    assert "smaller images pull faster onto an empty host\tfailed: fresh host of " in shown
    assert "Measured on Docker Engine 20.10.24 (API 1.41), overlay2; builder classic" in shown

    overview = next(p for p in report.pages if p.notebook.name == "00_overview.ipynb")
    assert overview.html is not None
    executed = nbformat.read(overview.notebook, as_version=4)
    drawn = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert len(drawn) == OVERVIEW_FIGURES

    page = probed(chromium, overview.html, PROBE, tmp_path / "chromium")
    embedded = [src for src in page.images if src.startswith("data:image/png;base64,")]
    assert len(embedded) == OVERVIEW_FIGURES
    assert all(w > 0 and h > 0 for w, h in map(png_size, embedded))
    sizes = str(page.body.get("data-png-sizes") or "").split(",")
    assert len(sizes) == OVERVIEW_FIGURES and all(not s.startswith("0x") for s in sizes), sizes
    assert not [s for s in page.stderr if "Error" in s or "Traceback" in s], page.stderr
    assert "Traceback" not in overview.html.read_text()
    # The facts cell, read from this store: the page shows the store, not an empty message.
    assert (
        "web (local): 2 ok, 0 failed; smallest first: slim &lt; full" in overview.html.read_text()
    )

    # The detector sees an error where there is one: the failed page shows its traceback.
    failed = next(p for p in report.pages if p.status == "failed")
    assert failed.html is not None
    bad = Page(dom(chromium, failed.html, tmp_path / "chromium"))
    assert any("ValueError" in s for s in bad.stderr)

    # The readers' page of a run: no code, a table of contents that lands, the headline above
    # the first section, no page wider than the window; its links (index, code page) resolve.
    good = next(p for p in report.pages if p.notebook.name == "good.ipynb")
    assert good.html is not None and good.code_html is not None
    reader = probed(chromium, good.html, READER_PROBE, tmp_path / "chromium")
    found = {k: reader.body.get(f"data-{k}") for k in ("toc", "inputs", "headline-first")}
    assert found == {"toc": "3/3", "inputs": "0", "headline-first": "true"}, found
    assert reader.body.get("data-code-shown") == "false"
    scroll, width = map(int, str(reader.body.get("data-overflow")).split("/"))
    assert scroll <= width, f"the page is {scroll} px wide in a {width} px window"
    assert reader.body.get("data-cut-tables") == "0"
    for link in reader.links:
        if not link.startswith("#"):
            assert (good.html.parent / link).resolve().is_file(), link
    assert {(good.html.parent / x).resolve() for x in reader.links if not x.startswith("#")} == {
        report.index,
        good.code_html,
    }
    # The headline says what the store's latest run of web measured.
    text = good.html.read_text()
    assert "At a glance" in text and "<strong>slim</strong>, 150 MB" in text
    assert "2.0× smaller than full (300 MB)" in text
    # The page with the code shows it, and links back.
    code = probed(chromium, good.code_html, READER_PROBE, tmp_path / "chromium")
    assert int(str(code.body.get("data-inputs"))) > 0 and code.body.get("data-code-shown") == "true"
    assert good.html.name in code.links
