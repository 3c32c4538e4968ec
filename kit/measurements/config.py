"""The image's runtime config, as the engine records it (``docker image inspect``'s ``Config``):
the user it runs as, its entrypoint and command, working directory, environment, exposed ports
and healthcheck — one row per variant in the ``config`` table.

Slimming an image changes more than its bytes: a distroless or scratch release drops the base's
``USER``, ``ENTRYPOINT`` and ``ENV`` and keeps only what the Dockerfile sets again, so a smaller
variant may run as root or lose its entrypoint without its size saying so. Off by default: it is
cheap (one inspect per image), but it adds a table no notebook reads yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kit.measurements import Measurement, Option, Table

#: ``USER`` values that leave the process root: none set, the name, or uid 0 (with any group).
_ROOT = {"", "root", "0"}


@dataclass(frozen=True)
class ConfigRow:
    """One variant's image config."""

    app: str
    variant: str
    user: str  # Config.User as written ("" when the image sets none: root)
    runs_as_root: bool
    entrypoint: str | None  # JSON list, as the engine stores it; None when unset
    cmd: str | None
    workdir: str  # "" when unset (then "/")
    env_vars: int  # entries of Config.Env
    exposed_ports: str  # e.g. "8080/tcp", comma-separated, sorted; "" when none
    healthcheck: bool  # a HEALTHCHECK other than NONE


def _listed(value: Any) -> str | None:
    return None if value is None else json.dumps(list(value))


def image_config(app: str, variant: str, inspected: Mapping[str, Any]) -> tuple[ConfigRow, ...]:
    """The ``config`` row of one image from its inspect document."""
    config = inspected.get("Config") or {}
    user = str(config.get("User") or "")
    check = (config.get("Healthcheck") or {}).get("Test") or []
    row = ConfigRow(
        app=app,
        variant=variant,
        user=user,
        runs_as_root=user.partition(":")[0] in _ROOT,
        entrypoint=_listed(config.get("Entrypoint")),
        cmd=_listed(config.get("Cmd")),
        workdir=str(config.get("WorkingDir") or ""),
        env_vars=len(config.get("Env") or ()),
        exposed_ports=", ".join(sorted(config.get("ExposedPorts") or {})),
        healthcheck=bool(check) and check[0] != "NONE",
    )
    return (row,)


MEASUREMENT = Measurement(
    name="config",
    options=(
        Option(
            "config",
            False,
            "record each image's runtime config (user, entrypoint, cmd, workdir, env, ports, "
            "healthcheck): the config table",
        ),
    ),
    table=Table("config", ConfigRow),
    measure=image_config,
)
