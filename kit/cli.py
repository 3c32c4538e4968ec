"""The ``kit`` command: engine, bases, measure, notebook, clean, bench."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from kit import cli_runs, logs
from kit.errors import KitError

log = logging.getLogger("kit")


def _engine(args: argparse.Namespace) -> int:
    from kit import daemon

    if args.action == "up":
        status = daemon.up()
        who = (
            f"started by kit (pid {status.pid}, log {status.log})"
            if status.started_by_kit
            else f"already running at {os.environ.get('DOCKER_HOST', 'the default socket')}"
        )
        print(f"engine {status.version}: {who}")
    elif args.action == "down":
        print(
            "stopped the dockerd kit started"
            if daemon.down()
            else "no dockerd started by kit is running"
        )
    else:
        from kit.engine import Engine

        info = Engine.connect().info()
        print(f"engine {info.version} (API {info.api_version}), {info.storage_driver}, {info.host}")
    return 0


def _bases(args: argparse.Namespace) -> int:

    from kit.bases import BASES, ensure_bases
    from kit.engine import Engine
    from kit.progress import bar_options, line_reporter, tqdm

    engine = Engine.connect()
    total = len(args.only or BASES)
    with tqdm(total=total, unit="base", disable=args.quiet, **bar_options()) as bar:

        def started(spec: Any) -> None:
            bar.set_description(spec.ref)

        outcomes = []
        for outcome in ensure_bases(
            engine,
            rebuild=args.rebuild,
            only=tuple(args.only or ()),
            on_start=started,
            on_line=line_reporter(bar),
        ):
            outcomes.append(outcome)
        bar.update(len(outcomes))
    for o in outcomes:
        took = f"{o.seconds:6.1f} s" if o.action == "built" else "      -"
        print(f"{o.ref:28} {o.action:8} {took}  {o.size_bytes / 1e6:8.1f} MB")
    return 0


def _measure(args: argparse.Namespace) -> int:
    from kit.experiment import run_experiment

    results = run_experiment(
        args.app_dir,
        profile=args.profile,
        trials=args.trials,
        warmups=args.warmups,
        variants=tuple(args.variant or ()),
        progress=not args.quiet,
        distribution=args.distribution,
        rebuild=args.rebuild,
        capacity=args.capacity,
        registry=args.registry,
        store=args.store,
        force=args.force or None,
    )
    if args.out:
        results.save(args.out)
    cols = [
        "variant",
        "status",
        "size_bytes",
        "compressed_bytes",
        "layers",
        "x_floor",
        "build_cold_s",
        "start_median_s",
        "error",
    ]
    if args.distribution:
        cols[-1:-1] = ["push_median_s", "pull_median_s", "pushed_bytes"]
    if args.rebuild:
        cols[-1:-1] = ["rebuild_s", "rebuild_steps"]
    print(results.images[cols].to_string(index=False))
    reused = f", {len(results.reused)} variant(s) reused unchanged" if results.reused else ""
    print(f"run {results.run.run_id} appended to the store {args.store}{reused}")
    if args.out:
        print(f"and saved to {args.out}")
    # Write the artefact first, then report failure through the exit code.
    return 1 if results.failed else 0


def _notebook(args: argparse.Namespace) -> int:
    from kit.notebooks import execute

    params: dict[str, Any] = {}
    for key, value in args.param or ():
        params[key] = int(value) if value.isdigit() else value
    ipynb, html = execute(
        args.notebook, args.out, params, progress=not args.quiet, html=not args.no_html
    )
    print(f"executed: {ipynb}" + ("" if args.no_html else f"\nreport:   {html}"))
    return 0


def _clean(args: argparse.Namespace) -> int:
    from kit.engine import Engine

    engine = Engine.connect()
    containers = engine.kit_containers()
    for container in containers:
        engine.remove_container(container)
    prefixes = (("kitexp/",) if args.images else ()) + (("kitbase/",) if args.bases else ())
    images = engine.kit_images(prefixes) if prefixes else []
    removed = sum(engine.remove_image(image, force=True) for image in images)
    print(f"removed {len(containers)} container(s), {removed} image(s)")
    return 0


def _store_option(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument(
        "--store", type=Path, default=Path(os.environ.get("KIT_STORE") or "results"), help=help
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kit", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument(
        "--log-json", action="store_true", help="log JSON lines to stderr (also KIT_LOG=json)"
    )
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("engine", help="bring a Docker engine up or down")
    e.add_argument("action", choices=["up", "down", "status"])
    e.set_defaults(func=_engine)

    b = sub.add_parser("bases", help="make the embedded base images offline")
    b.add_argument("--rebuild", action="store_true", help="remake bases that already exist")
    b.add_argument("--only", action="append", metavar="REF", help="only this base (repeatable)")
    b.add_argument("--quiet", action="store_true")
    b.set_defaults(func=_bases)

    m = sub.add_parser("measure", help="build, size and start every variant of an app")
    m.add_argument("app_dir", type=Path)
    m.add_argument("--profile", default="auto", choices=["auto", "local", "hub"])
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
    m.set_defaults(func=_measure)

    n = sub.add_parser("notebook", help="execute a notebook with papermill and render HTML")
    n.add_argument("notebook", type=Path)
    n.add_argument("--out", type=Path, default=Path("reports"))
    n.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"))
    n.add_argument("--no-html", action="store_true", help="skip the HTML rendering")
    n.add_argument("--quiet", action="store_true")
    n.set_defaults(func=_notebook)

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
    t.set_defaults(func=cli_runs.batch)

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
    r.set_defaults(func=cli_runs.report)

    c = sub.add_parser("clean", help="remove what the kit created (never other objects)")
    c.add_argument("--images", action="store_true", help="also the experiment images")
    c.add_argument("--bases", action="store_true", help="also the embedded bases")
    c.set_defaults(func=_clean)

    h = sub.add_parser("bench", help="side-by-side benchmarks: start, layer analysis, batch rerun")
    h.add_argument("--what", choices=["start", "layers", "batch", "all"], default="all")
    h.add_argument("--matrix", default="notebooks/default.yml", help="batch bench matrix")
    h.add_argument("--image", default="kitbase/busybox:1", help="start bench image")
    h.add_argument("--rounds", type=int, default=30)
    h.add_argument("--layers-image", default="kitbase/node:18-full", help="layer bench image")
    h.add_argument("--layer-rounds", type=int, default=3)
    h.set_defaults(func=cli_runs.bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure(
        verbose=args.verbose,
        quiet=getattr(args, "quiet", False),
        json_lines=args.log_json or os.environ.get("KIT_LOG") == "json",
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
