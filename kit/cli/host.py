"""``kit engine``, ``kit bases`` and ``kit clean``: what the kit starts, makes and removes."""

from __future__ import annotations

import argparse
import os
from typing import Any


def engine(args: argparse.Namespace) -> int:
    from kit.host import dockerd as daemon

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


def bases(args: argparse.Namespace) -> int:
    from kit.engine import Engine
    from kit.host.bases import BASES, ensure_bases
    from kit.util.progress import bar_options, line_reporter, tqdm
    from kit.util.units import MB

    engine = Engine.connect()
    total = len(args.only or BASES)
    with tqdm(total=total, unit="base", **bar_options(not args.quiet)) as bar:

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
        print(f"{o.ref:28} {o.action:8} {took}  {o.size_bytes / MB:8.1f} MB")
    return 0


def clean(args: argparse.Namespace) -> int:
    from kit.engine import Engine

    engine = Engine.connect()
    containers = engine.containers.kit_containers()
    for container in containers:
        engine.containers.remove(container)
    prefixes = (("kitexp/",) if args.images else ()) + (("kitbase/",) if args.bases else ())
    images = engine.images.kit_images(prefixes) if prefixes else []
    removed = sum(engine.images.remove(image, force=True) for image in images)
    print(f"removed {len(containers)} container(s), {removed} image(s)")
    return 0
