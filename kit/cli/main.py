"""The ``kit`` command's parser and entry point; each command's handler lives with its kind
(``host``, ``experiment``, ``runs``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kit.cli import experiment, host, runs, store
from kit.config import settings
from kit.errors import KitError
from kit.util import logs

DESCRIPTION = "The ``kit`` command: engine, bases, measure, notebook, store, clean, bench."


def _store_option(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--store", type=Path, default=settings().store, help=help)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kit", description=DESCRIPTION)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument(
        "--log-json", action="store_true", help="log JSON lines to stderr (also KIT_LOG=json)"
    )
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("engine", help="bring a Docker engine up or down")
    e.add_argument("action", choices=["up", "down", "status"])
    e.add_argument(
        "--hub",
        action="store_true",
        help="a Docker Hub stand-in: an extra engine whose registry mirror (on 127.0.0.1) serves "
        "the embedded bases under the official names (up: start it and print its DOCKER_HOST; "
        "down: stop it and remove its files)",
    )
    e.add_argument(
        "--seed",
        action="append",
        metavar="NAME",
        help="with up --hub: serve only this official name, e.g. node:18-slim (repeatable; "
        "default: every one)",
    )
    e.set_defaults(func=host.engine)

    b = sub.add_parser("bases", help="make the embedded base images offline")
    b.add_argument("--rebuild", action="store_true", help="remake bases that already exist")
    b.add_argument("--only", action="append", metavar="REF", help="only this base (repeatable)")
    b.add_argument(
        "--as-official",
        action="store_true",
        help="also tag each base under the official names it stands in for (node:18-slim, "
        "python:3.11, gcr.io/distroless/...), where their registry does not serve them",
    )
    b.add_argument(
        "--force", action="store_true", help="with --as-official: also over images of that name"
    )
    b.add_argument(
        "--list", action="store_true", help="print each base's official names; build nothing"
    )
    b.add_argument("--quiet", action="store_true")
    b.set_defaults(func=host.bases)

    m = sub.add_parser("measure", help="build, size and start every variant of an app")
    m.add_argument("app_dir", type=Path)
    m.add_argument("--profile", default="auto", choices=["auto", "local", "hub"])
    m.add_argument(
        "--builder",
        default="auto",
        choices=["auto", "buildkit", "classic"],
        help="auto: BuildKit where the engine supports it, else classic (with a note)",
    )
    m.add_argument("--trials", type=int, default=5)
    m.add_argument("--warmups", type=int, default=1)
    m.add_argument("--variant", action="append", help="only this variant (repeatable)")
    _store_option(m, "the result store (default: $KIT_STORE or ./results)")
    m.add_argument("--force", action="store_true", help="remeasure even unchanged variants")
    m.add_argument(
        "--distribution", type=int, default=0, metavar="N", help="push/pull trials (0: none)"
    )
    m.add_argument("--registry", metavar="URL", help="push to this registry, not a local one")
    m.add_argument(
        "--rebuild", type=int, default=0, metavar="N", help="rebuild-after-edit trials (0: none)"
    )
    m.add_argument("--capacity", action="store_true", help="images per host (10 GB)")
    m.add_argument("--out", type=Path, help="also save this run's tables in this directory")
    m.add_argument("--quiet", action="store_true")
    m.set_defaults(func=experiment.measure)

    n = sub.add_parser("notebook", help="execute a notebook with papermill and render HTML")
    n.add_argument("notebook", type=Path)
    n.add_argument("--out", type=Path, default=Path("reports"))
    n.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"))
    n.add_argument("--no-html", action="store_true", help="skip the HTML rendering")
    n.add_argument("--quiet", action="store_true")
    n.set_defaults(func=experiment.notebook)

    t = sub.add_parser("batch", help="run a matrix of notebooks × parameters with papermill")
    t.add_argument("matrix", type=Path, help="the matrix YAML (e.g. notebooks/default.yml)")
    t.add_argument("--run-id", help="resume this run id (default: the matrix's, else a new one)")
    t.add_argument("--runs", type=Path, default=Path("runs"), help="where run dirs go (./runs)")
    _store_option(
        t, "the store given to notebooks with a `store` parameter ($KIT_STORE or ./results)"
    )
    t.add_argument("--force", action="store_true", help="rerun finished cells; remeasure all")
    par = t.add_mutually_exclusive_group()
    par.add_argument("--workers", type=int, default=1, help="cells at once, in local processes")
    par.add_argument("--dask", metavar="SCHEDULER", help="run cells on a Dask cluster (address)")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=runs.batch)

    r = sub.add_parser("report", help="the store's overview and every executed notebook, as HTML")
    r.add_argument(
        "runs",
        nargs="*",
        type=Path,
        help="run directories of executed notebooks (default: every directory under runs/)",
    )
    _store_option(r, "the result store (default: $KIT_STORE or ./results)")
    r.add_argument("--out", type=Path, default=Path("reports"), help="where the HTML goes")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=runs.report)

    s = sub.add_parser("store", help="the result store: check every file, move damaged runs aside")
    s.add_argument("action", choices=["check"])
    _store_option(s, "the result store (default: $KIT_STORE or ./results)")
    s.set_defaults(func=store.store)

    c = sub.add_parser(
        "clean", help="remove the kit's containers and image tags (never a user's object)"
    )
    c.add_argument("--images", action="store_true", help="also the experiment images")
    c.add_argument("--bases", action="store_true", help="also the embedded bases")
    c.add_argument(
        "--force", action="store_true", help="even while a run or a batch uses the engine"
    )
    c.set_defaults(func=host.clean)

    h = sub.add_parser("bench", help="side-by-side benchmarks: start, layer analysis, batch rerun")
    h.add_argument("--what", choices=["start", "layers", "batch", "all"], default="all")
    h.add_argument("--matrix", default="notebooks/default.yml", help="batch bench matrix")
    h.add_argument("--image", default="kitbase/busybox:1", help="start bench image")
    h.add_argument("--rounds", type=int, default=30)
    h.add_argument("--layers-image", default="kitbase/node:18-full", help="layer bench image")
    h.add_argument("--layer-rounds", type=int, default=3)
    h.set_defaults(func=runs.bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure(
        verbose=args.verbose,
        quiet=getattr(args, "quiet", False),
        json_lines=args.log_json or settings().log_json,
    )
    try:
        code: int = args.func(args)
        return code
    except KitError as exc:
        print(f"kit: {exc.kind}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kit: interrupted; what the kit created was removed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
