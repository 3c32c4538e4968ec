"""``kit engine``, ``kit bases`` and ``kit clean``: what the kit starts, makes and removes."""

from __future__ import annotations

import argparse
import os
from typing import Any

from kit.errors import KitError, UsageError


def engine(args: argparse.Namespace) -> int:
    from kit.host import dockerd as daemon

    if args.seed and not (args.hub and args.action == "up"):
        raise UsageError("--seed goes with `kit engine up --hub`")
    engine_choice = getattr(args, "engine", "default")
    if args.store is not None and engine_choice == "default":
        raise UsageError("--store goes with --engine 26 or 28")
    if args.hub:
        if engine_choice != "default":
            raise UsageError("--hub and --engine are separate engines: give one of them")
        return _hub(args.action, args.seed)
    if engine_choice != "default":
        return _extra(args.action, engine_choice, args.store or "overlay2")
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
        _hub("status", None)
    return 0


def _extra(action: str, name: str, store: str) -> int:
    from kit.engine import Engine
    from kit.host import engines

    choice = engines.Choice(name, store)
    if action == "down":
        print(
            f"stopped engine {name} ({store}) and removed its files"
            if engines.down(choice)
            else f"no engine {name} ({store}) started by kit is running"
        )
        return 0
    up = engines.up(choice) if action == "up" else engines.running(choice)
    if up is None:
        print(
            f"engine {name} ({store}) is not up (`kit engine up --engine {name} --store {store}`)"
        )
        return 0
    engine = Engine.connect(timeout=30, base_url=up.docker_host)
    info = engine.info()
    engine.close()
    print(
        f"engine {info.version} (API {info.api_version}), {info.storage_driver}: "
        f"{choice.release.what}, pid {up.pid}, files in {up.root}"
    )
    for key, value in up.environ().items():
        print(f"  export {key}={value}")
    print(f"  (`kit engine down --engine {name} --store {store}` stops it and removes its files)")
    return 0


def _hub(action: str, names: list[str] | None) -> int:
    from kit.engine import Engine
    from kit.host import hub
    from kit.util.units import MB

    if action == "down":
        print("stopped the Hub stand-in" if hub.stop() else "no Hub stand-in is up")
        return 0
    up = hub.running()
    if action == "status":
        if up is not None:
            print(f"Hub stand-in up: DOCKER_HOST={up.docker_host}, mirror {up.registry}")
        return 0

    def seeded(s: hub.Seeded) -> None:
        print(
            f"  {s.name:24} {s.base:32} {s.compressed_bytes / MB:7.1f} MB  "
            f"pushed in {s.push_s:5.1f} s  {s.digest[:19]}"
        )

    print("seeding the mirror (docker.io names) from the embedded bases:")
    up = hub.start(Engine.connect(), names, seeded)
    print(f"Hub stand-in up: an engine whose registry mirror is {up.registry}")
    print(f"  export DOCKER_HOST={up.docker_host}")
    print(
        "  (then --profile hub, or auto, builds as on a connected machine; "
        "`kit engine down --hub` stops it)"
    )
    return 0


def bases(args: argparse.Namespace) -> int:
    from kit.engine import Engine
    from kit.host.bases import BASES, ensure_bases
    from kit.util.progress import bar_options, line_reporter, tqdm
    from kit.util.units import MB

    if args.force and not args.as_official:
        raise UsageError("--force goes with --as-official")
    if args.list:
        return _official_list()
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
            jobs=args.jobs,
        ):
            outcomes.append(outcome)
        bar.update(len(outcomes))
    if engine.info().containerd_store:
        # There the engine's Size is the compressed content, not the unpacked size overlay2
        # and every size column of `kit measure` give: said, not mixed up.
        print("sizes: the engine's own, compressed content on the containerd image store")
    for o in outcomes:
        took = f"{o.seconds:6.1f} s" if o.action == "built" else "      -"
        print(f"{o.ref:36} {o.action:8} {took}  {o.size_bytes / MB:8.1f} MB")
    if args.as_official:
        from kit.host.official import tag_official

        for t in tag_official(engine, force=args.force):
            print(f"{t.name:46} {t.action:8} {t.base}  {t.detail}".rstrip())
    return 0


def _official_list() -> int:
    """The mapping; with an engine, what each name holds there."""
    from kit.engine import Engine
    from kit.host.official import mapping, status

    try:
        engine = Engine.connect(timeout=10)
    except KitError:
        states: dict[str, str] = {}
    else:
        states = status(engine)
    print(f"{'official name':46} {'embedded base':36} on this engine")
    for name, spec in mapping():
        print(f"{name:46} {spec.ref:36} {states.get(name, '?')}")
    return 0


def clean(args: argparse.Namespace) -> int:
    from kit.engine import Engine
    from kit.host.clean import clean as remove

    report = remove(Engine.connect(), images=args.images, bases=args.bases, force=args.force)
    print("\n".join(report.lines()))
    return 0
