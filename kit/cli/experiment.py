"""``kit measure`` and ``kit notebook``: one app measured (a table, or JSON), one notebook
executed."""

from __future__ import annotations

import argparse
from typing import Any


def measured(args: argparse.Namespace, app_dir: Any, **payoffs: Any) -> Any:
    """``run_experiment`` with the options ``measure`` and ``check`` share (``measure_options``)
    and the registered measurements' flags the command offers, so both commands measure alike
    and reuse one cache."""
    from kit import measurements
    from kit.pipeline.experiment import run_experiment

    registered = {
        o.name: getattr(args, o.name) for o in measurements.options() if hasattr(args, o.name)
    }
    return run_experiment(
        app_dir,
        profile=args.profile,
        builder=args.builder,
        build_timeout_s=args.build_timeout,
        variants=tuple(args.variant or ()),
        progress=not args.quiet,
        store=args.store,
        force=args.force or None,
        **registered,
        **payoffs,
    )


def measure(args: argparse.Namespace) -> int:
    results = measured(args, args.app_dir, registry=args.registry)
    if args.out:
        results.save(args.out)
    if args.json:
        from kit.cli.output import emit_json, run_document

        emit_json(run_document(results))
        return _status(results)
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
    if args.fresh_host:
        cols[-1:-1] = ["fresh_pull_median_s", "fresh_pulled_bytes", "deploy_median_s"]
    if args.rebuild:
        cols[-1:-1] = ["rebuild_s", "rebuild_steps"]
    print(results.images[cols].to_string(index=False))
    reused = f", {len(results.reused)} variant(s) reused unchanged" if results.reused else ""
    print(f"run {results.run.run_id} appended to the store {args.store}{reused}")
    if args.out:
        print(f"and saved to {args.out}")
    # Write the artefact first, then report failure through the exit code.
    return _status(results)


def _status(results: Any) -> int:
    """1 when a variant failed or a measurement asked for did not come out (a push and pull,
    the fresh host, a rebuild …: each named on stderr), as ``kit batch`` calls a notebook
    partial; a failure the options chose (a BuildKit-only variant under classic) is not one."""
    import sys

    from kit.model.failures import unexpected

    missing = unexpected(results.failures)
    for failure in missing:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if results.failed or missing else 0


def notebook(args: argparse.Namespace) -> int:
    from kit.runs.notebooks import execute

    params: dict[str, Any] = {}
    for key, value in args.param or ():
        params[key] = int(value) if value.isdigit() else value
    ipynb, html = execute(
        args.notebook, args.out, params, progress=not args.quiet, html=not args.no_html
    )
    print(f"executed: {ipynb}" + ("" if args.no_html else f"\nreport:   {html}"))
    return 0
