"""Parsers of the commands that run many things: ``notebook``, ``batch``, ``report``, ``bench``."""

from __future__ import annotations

import argparse
from pathlib import Path

from kit.cli import experiment, runs
from kit.cli.args.common import Subparsers, command, json_option, quiet_option, store_option


def _phase(text: str) -> tuple[str, float]:
    name, _, seconds = text.partition("=")
    try:
        return name.strip(), float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=SECONDS") from None


def add(sub: Subparsers) -> None:
    n = command(sub, "notebook", "execute one notebook with papermill and render it to HTML")
    n.add_argument("notebook", type=Path, help="the notebook (.ipynb) to execute")
    n.add_argument(
        "--out", type=Path, default=Path("reports"), help="where the executed notebook goes"
    )
    n.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="a parameter for the notebook's parameters cell (repeatable)",
    )
    n.add_argument("--no-html", action="store_true", help="skip the HTML rendering")
    quiet_option(n)
    n.set_defaults(func=experiment.notebook)

    t = command(sub, "batch", "run a matrix of notebooks × parameters with papermill")
    t.add_argument("matrix", type=Path, help="the matrix YAML (e.g. notebooks/default.yml)")
    t.add_argument("--run-id", help="resume this run id (default: the matrix's, else a new one)")
    t.add_argument("--runs", type=Path, default=Path("runs"), help="where run directories go")
    store_option(t, "the store given to notebooks with a `store` parameter ($KIT_STORE)")
    t.add_argument("--force", action="store_true", help="rerun finished cells; remeasure all")
    par = t.add_mutually_exclusive_group()
    par.add_argument("--workers", type=int, default=1, help="cells at once, in local processes")
    par.add_argument("--dask", metavar="SCHEDULER", help="run cells on a Dask cluster (address)")
    t.add_argument(
        "--phase",
        action="append",
        type=_phase,
        default=[],
        metavar="NAME=SECONDS",
        help="a phase timed before the batch (venv, engine, bases), kept in batch.json",
    )
    json_option(t, "each cell's notebook, parameters, status, error and time")
    quiet_option(t)
    t.set_defaults(func=runs.batch)

    r = command(
        sub,
        "report",
        "the store's overview and every executed notebook as HTML pages for readers",
        "Render the store's overview and every executed notebook of the given runs as HTML: "
        "code hidden (each page links its version with the code, <page>-code.html), a table "
        "of contents, the run's headline numbers first; an index links them all.",
    )
    r.add_argument(
        "runs",
        nargs="*",
        type=Path,
        help="run directories of executed notebooks (default: every directory under runs/)",
    )
    store_option(r)
    r.add_argument("--out", type=Path, default=Path("reports"), help="where the HTML goes")
    json_option(r, "each page's title, status, files, run id and parameters")
    quiet_option(r)
    r.set_defaults(func=runs.report)

    h = command(sub, "bench", "side-by-side benchmarks: start, layer analysis, batch rerun")
    h.add_argument(
        "--what", choices=["start", "layers", "batch", "all"], default="all", help="which bench"
    )
    h.add_argument("--matrix", default="notebooks/default.yml", help="the batch bench's matrix")
    h.add_argument("--image", default="kitbase/busybox:1", help="the start bench's image")
    h.add_argument("--rounds", type=int, default=30, help="start bench rounds")
    h.add_argument("--layers-image", default="kitbase/node:18-full", help="the layer bench's image")
    h.add_argument("--layer-rounds", type=int, default=3, help="layer bench rounds")
    h.set_defaults(func=runs.bench)
