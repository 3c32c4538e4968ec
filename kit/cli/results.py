"""``kit show`` and ``kit diff``: the result store read back, for people and for machines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kit.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from kit.model.results import Results


def _app_name(app: str) -> str:
    """The store keys apps by their directory's name: ``dockerfiles/node-server`` → node-server."""
    return Path(app).name or app


def show(args: argparse.Namespace) -> int:
    from kit.cli.output import emit_json, markdown
    from kit.model.store import Store
    from kit.model.tables import TABLES

    store = Store(args.store)
    names = [t.name for t in TABLES]
    if args.table == "runs":
        frame = store.runs_frame()
    elif args.table in names:
        frame = store.table(args.table)
    else:
        raise UsageError(
            f"no table {args.table!r}; tables are {', '.join(names)}, and runs", file=args.store
        )
    if args.app:
        frame = frame[frame["app"] == _app_name(args.app)]
    if args.run:
        frame = frame[frame["run_id"] == args.run]
    if args.latest:
        latest = {r.app: r.run.run_id for r in store.runs()}  # runs() is oldest first
        frame = frame[
            [latest.get(a) == r for a, r in zip(frame["app"], frame["run_id"], strict=True)]
        ]
    if args.columns:
        wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in frame.columns]
        if unknown:
            raise UsageError(
                f"no column(s) {', '.join(unknown)} in {args.table}; it has "
                + ", ".join(frame.columns)
            )
        frame = frame[wanted]
    if args.format == "json":
        import json

        emit_json(json.loads(frame.to_json(orient="records", force_ascii=False)))
    elif args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        print(markdown(frame))
    return 0


def _run_with_both(store_root: Path, app: str, have: str, lack: str, run_id: str | None) -> Results:
    """The latest stored run of ``app`` (or run ``run_id``) that listed both variants' files."""
    from kit.model.store import Store

    store = Store(store_root)
    runs = [r for r in store.runs() if r.app == app and run_id in (None, r.run.run_id)]
    for stored in reversed(runs):
        results = store.results(stored.run.run_id, app)
        if {have, lack} <= {f.variant for f in results.file_rows}:
            return results
    where = f"run {run_id} of {app}" if run_id else f"any run of {app}"
    raise UsageError(
        f"no file lists of both {have} and {lack} in {where} in the store {store_root}",
        app=app,
        file=store_root,
        hint=f"measure them first: kit measure <app directory> --variant {have} --variant {lack}",
    )


def diff(args: argparse.Namespace) -> int:
    from kit.cli.output import emit_json, markdown
    from kit.util.units import fmt_bytes
    from kit.views.contents import diff as listed
    from kit.views.contents.compare import compare

    app = _app_name(args.app)
    results = _run_with_both(args.store, app, args.have, args.lack, args.run)
    found = compare(results, args.have, args.lack)
    tables = {
        what: listed(results, args.have, args.lack, what=what, top=args.top)
        for what in ("dirs", "files", "packages")
    }
    back = listed(results, args.lack, args.have, what="dirs", top=args.top)
    if args.json:
        import json

        def records(frame: pd.DataFrame) -> object:
            return json.loads(frame.to_json(orient="records", force_ascii=False))

        emit_json(
            {
                "app": app,
                "run_id": results.run.run_id,
                "have": args.have,
                "lack": args.lack,
                "summary": {
                    "paths_left_out": len(found.only_files),
                    "bytes_left_out": found.only_bytes,
                    "packages_compared": all(found.databases),
                    "packages_left_out": len(found.only_packages),
                    "package_bytes_left_out": found.package_bytes,
                    "paths_added": len(found.extra_files),
                    "bytes_added": sum(f.bytes for f in found.extra_files),
                },
                **{what: records(frame) for what, frame in tables.items()},
                "added_dirs": records(back),
            }
        )
        return 0
    print(
        f"{app}, run {results.run.run_id}: {args.lack} lacks {len(found.only_files):,} of "
        f"{args.have}'s {found.files_have:,} paths ({fmt_bytes(found.only_bytes)})"
    )
    print(f"\nlargest places {args.have} has and {args.lack} lacks:\n")
    print(markdown(tables["dirs"]))
    if all(found.databases):
        print(
            f"\n{len(found.only_packages)} packages {args.have} has and {args.lack} lacks "
            f"({fmt_bytes(found.package_bytes)} installed):\n"
        )
        print(markdown(tables["packages"]))
    else:
        print("\npackages not compared: one of them has no package database")
    print(f"\nlargest places {args.lack} has and {args.have} lacks:\n")
    print(markdown(back) if len(back) else "(none)")
    return 0
