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
    e.set_defaults(func=host.engine)

    b = command(sub, "bases", "make the embedded base images offline (kitbase/*)")
    b.add_argument("--rebuild", action="store_true", help="remake bases that already exist")
    b.add_argument(
        "--only", action="append", metavar="REF", help="only this base (repeatable; default: all)"
    )
    quiet_option(b)
    b.set_defaults(func=host.bases)

    c = command(sub, "clean", "remove what the kit created (never other objects)")
    c.add_argument("--images", action="store_true", help="also the experiment images (kitexp/*)")
    c.add_argument("--bases", action="store_true", help="also the embedded bases (kitbase/*)")
    c.set_defaults(func=host.clean)
