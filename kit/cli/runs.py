"""The ``kit`` commands that run many things: batch, report, bench (parsers in kit.cli.main)."""

from __future__ import annotations

import argparse


def batch(args: argparse.Namespace) -> int:
    import contextlib

    from kit.runs.batch import run_batch

    with contextlib.ExitStack() as stack:
        executor = None
        if args.dask:
            from distributed import Client  # the `dask` extra

            executor = stack.enter_context(Client(args.dask)).get_executor()  # type: ignore[no-untyped-call]
        elif args.workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: a forked copy of a process with threads (tqdm's monitor) can deadlock.
            executor = stack.enter_context(
                ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"))
            )
        result = run_batch(
            args.matrix,
            run_id=args.run_id,
            runs_dir=args.runs,
            store=args.store,
            force=args.force,
            executor=executor,
            quiet=args.quiet,
            phases=dict(args.phase) or None,
        )
    code = 1 if result.failed else 0
    if args.json:
        from kit.cli.output import emit_json

        emit_json(
            {
                "run_id": result.run_id,
                "state": str(result.run_dir / "batch.json"),
                "cells": [
                    {
                        "notebook": str(c.notebook),
                        "parameters": dict(c.parameters),
                        "output": str(c.output),
                        "status": c.status,
                        "error": str(c.error) if c.error else None,
                        "seconds": c.seconds,
                        "resumed": c.skipped,
                    }
                    for c in result.cells
                ],
                "exit_code": code,
            }
        )
        return code
    for cell in result.cells:
        took = "resumed" if cell.skipped else f"{cell.seconds or 0:7.1f} s"
        why = f"  {cell.error}" if cell.error else ""
        print(f"{cell.status:11} {took:>9}  {cell.output}{why}")
    partial = len(result.partial)
    counts = [f"{len(result.ok)} ok"] + [
        f"{n} {what}"
        for what, n in (("partial", partial), ("failed", len(result.failed) - partial))
    ]
    # "0 failed" beside a partial cell would read as a success.
    shown = ", ".join(c for c in counts if not c.startswith("0 ") or not result.failed)
    print(f"batch {result.run_id}: {shown} (state: {result.run_dir / 'batch.json'})")
    # Every notebook is written first; failure is reported through the exit code.
    return 1 if result.failed else 0


def report(args: argparse.Namespace) -> int:
    import json
    import time

    from kit.runs.report import build_report, default_runs, time_report

    clock = time.monotonic()
    report = build_report(
        args.runs or default_runs(), args.store, args.out, progress=not args.quiet
    )
    took = time_report(report, time.monotonic() - clock)
    if args.json:
        from kit.cli.output import emit_json

        emit_json(
            {
                "index": str(report.index.resolve()),
                "pages": [
                    {
                        "title": p.title,
                        "status": p.status,
                        "page": str(p.html) if p.html else None,
                        "code_page": str(p.code_html) if p.code_html else None,
                        "notebook": str(p.notebook),
                        "run_id": p.run_id,
                        "parameters": json.loads(p.parameters),
                        "error": p.error,
                    }
                    for p in report.pages
                ],
                "exit_code": 1 if report.failed else 0,
            }
        )
        return 1 if report.failed else 0
    for page in report.pages:
        where = page.html or page.notebook
        print(f"{page.status:6}  {where}" + (f"  ({page.error})" if page.error else ""))
    print(f"report: {report.index.resolve()}")
    if took:
        print(f"time: {took}")
    # The index is written either way; a failed notebook shows in the exit code too.
    return 1 if report.failed else 0


def bench(args: argparse.Namespace) -> int:
    if args.what in ("start", "all"):
        from kit.bench.start import start_bench

        print(start_bench(args.image, rounds=args.rounds).report())
    if args.what in ("layers", "all"):
        from kit.bench.layers import layer_bench

        print(layer_bench(args.layers_image, rounds=args.layer_rounds).report())
    if args.what in ("batch", "all"):
        from kit.bench.batch import batch_bench

        print(batch_bench(args.matrix).report())
    return 0
