"""Parsers of the commands that read the result store: ``show``, ``diff`` and ``store check``."""

from __future__ import annotations

from kit.cli import results, store
from kit.cli.args.common import Subparsers, command, json_option, store_option
from kit.model.tables import TABLES


def add(sub: Subparsers) -> None:
    s = command(
        sub,
        "show",
        "print a table of the result store as Markdown, CSV or JSON",
        "Print one table of the result store: "
        + "".join(f"{t.name}, " for t in TABLES)  # built in, then the registered measurements'
        + "or runs (one row per stored run).",
    )
    s.add_argument("table", help="the table's name (images, trials, …; runs: the runs)")
    s.add_argument("--app", help="only this app's rows (a name or an app directory)")
    s.add_argument("--run", metavar="RUN_ID", help="only this run's rows")
    s.add_argument("--latest", action="store_true", help="only each app's latest run")
    s.add_argument(
        "--columns", metavar="A,B,…", help="only these columns, in this order (default: all)"
    )
    s.add_argument("--format", choices=["md", "csv", "json"], default="md", help="how to print it")
    store_option(s)
    s.set_defaults(func=results.show)

    d = command(
        sub,
        "diff",
        "what one variant has and another lacks: files (by directory) and packages, by bytes",
        "Compare two variants of an app in the store's latest run that measured both: the "
        "directories, files and packages HAVE holds and LACK does not, largest first (what did "
        "slim remove?), and the other way round. Measure the app first (kit measure).",
    )
    d.add_argument("app", help="the app (a name or its directory)")
    d.add_argument("have", help="the variant that has them (e.g. full)")
    d.add_argument("lack", help="the variant that lacks them (e.g. slim)")
    d.add_argument("--run", metavar="RUN_ID", help="this run, not the latest")
    d.add_argument("--top", type=int, default=20, help="rows per list")
    store_option(d)
    json_option(d, "the lists")
    d.set_defaults(func=results.diff)

    k = command(
        sub,
        "store",
        "the result store: check every file, move damaged runs aside",
        "Read every file of the store under its lock: damaged runs and uncommitted table parts "
        "move to quarantine/, temp files a crash left are removed. Exit 0: all intact; 1: "
        "something was found (now or earlier: see quarantine/); 2: no store there, or locked.",
    )
    k.add_argument("action", choices=["check"], help="check: the only action")
    store_option(k)
    k.set_defaults(func=store.store)
