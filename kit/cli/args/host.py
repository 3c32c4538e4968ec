"""Parsers of the commands that manage the host: ``engine``, ``bases``, ``clean``."""

from __future__ import annotations

from kit.cli import host
from kit.cli.args.common import Subparsers, command, quiet_option


def add(sub: Subparsers) -> None:
    e = command(sub, "engine", "bring a Docker engine up or down, or show which one answers")
    e.add_argument(
        "action",
        choices=["up", "down", "status"],
        help="up: use the engine that answers, else start Debian's dockerd; down: stop the one "
        "kit started; status: show the engine that answers",
    )
    e.add_argument(
        "--hub",
        action="store_true",
        help="a Docker Hub stand-in: an extra engine whose registry mirror (on 127.0.0.1) serves "
        "the embedded bases under the official names (up: start it and print its DOCKER_HOST; "
        "down: stop it and remove its files)",
    )
    e.add_argument(
        "--engine",
        choices=["default", "26", "28"],
        default="default",
        help="up/down/status: 26 (Debian 13's docker.io) or 28 (Debian unstable's, the newest) "
        "from Debian's packages into the kit's state dir, beside the default engine (up prints "
        "the DOCKER_HOST to use); default: the engine that answers, or the system's dockerd",
    )
    e.add_argument(
        "--store",
        choices=["overlay2", "containerd"],
        default=None,
        help="with --engine 26/28: the classic overlay2 store (default) or the containerd image "
        "store (features.containerd-snapshotter)",
    )
    e.add_argument(
        "--seed",
        action="append",
        metavar="NAME",
        help="with up --hub: serve only this official name, e.g. node:18-slim (repeatable; "
        "default: every one)",
    )
    e.set_defaults(func=host.engine)

    b = command(sub, "bases", "make the embedded base images offline (kitbase/*)")
    b.add_argument("--rebuild", action="store_true", help="remake bases that already exist")
    b.add_argument(
        "--only", action="append", metavar="REF", help="only this base (repeatable; default: all)"
    )
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
    b.add_argument(
        "--jobs",
        type=int,
        default=2,
        metavar="N",
        help="bases built at once, each as soon as the bases it builds on are made",
    )
    quiet_option(b)
    b.set_defaults(func=host.bases)

    c = command(sub, "clean", "remove the kit's containers and image tags (never a user's object)")
    c.add_argument("--images", action="store_true", help="also the experiment images (kitexp/*)")
    c.add_argument(
        "--bases",
        action="store_true",
        help="also the embedded bases (kitbase/*) and the official names --as-official tagged",
    )
    c.add_argument(
        "--force", action="store_true", help="even while a run or a batch uses the engine"
    )
    c.set_defaults(func=host.clean)
