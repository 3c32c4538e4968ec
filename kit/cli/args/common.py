"""What every parser of the ``kit`` command shares: the help format (each option's default
shown) and the options several commands take (the store, the profile, quiet, JSON)."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from kit import measurements
from kit.config import settings

Subparsers = Any  # argparse's _SubParsersAction, which it does not export


class Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Every option's default after its help (``none`` when unset), unless the help already
    says it; descriptions and epilogs keep their line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default is argparse.SUPPRESS:
            return text
        if not action.option_strings and action.nargs not in ("?", "*"):
            return text  # a required positional has no default
        return f"{text} (default: {'none' if action.default is None else '%(default)s'})"


def command(sub: Subparsers, name: str, help: str, description: str | None = None) -> Any:
    """A subcommand whose ``--help`` shows every default."""
    return sub.add_parser(
        name,
        help=help,
        description=textwrap.fill(description or help, 92),
        formatter_class=Formatter,
    )


def store_option(p: argparse.ArgumentParser, help: str = "the result store ($KIT_STORE)") -> None:
    p.add_argument("--store", type=Path, default=settings().store, help=help)


def quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quiet", action="store_true", help="no progress bars; log warnings and errors only"
    )


def json_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--json",
        action="store_true",
        help=f"print {what} as one JSON document on stdout (logs stay on stderr)",
    )


def measure_options(p: argparse.ArgumentParser) -> None:
    """How an app is measured: shared by measure and check, so both reuse one cache."""
    p.add_argument("app_dir", type=Path, help="the app directory (or a bundled app's name)")
    p.add_argument(
        "--profile",
        default="auto",
        choices=["auto", "local", "hub"],
        help="which bases: local (the embedded ones), hub (Docker Hub), auto (hub if reachable)",
    )
    p.add_argument(
        "--builder",
        default="auto",
        choices=["auto", "buildkit", "classic"],
        help="auto: BuildKit where the engine supports it, else classic (with a note)",
    )
    p.add_argument(
        "--build-timeout",
        type=float,
        default=None,
        metavar="S",
        help="cancel a build after S seconds, its variant failed "
        "(default: the app's [build] timeout_s, else 1800)",
    )
    p.add_argument(
        "--variant", action="append", help="only this variant (repeatable; default: all)"
    )
    store_option(p)
    p.add_argument(
        "--force", action="store_true", help="remeasure even variants the store could reuse"
    )


def registered_options(p: argparse.ArgumentParser, command: str) -> None:
    """A flag for each option of a registered measurement (:mod:`kit.measurements`) that
    ``command`` offers: ``--trials N``, ``--config``, ``--no-anatomy`` (on by default)."""
    for option in measurements.options():
        if command not in option.commands:
            continue
        if isinstance(option.default, bool):
            action = "store_true" if not option.default else argparse.BooleanOptionalAction
            p.add_argument(
                option.flag,
                action=action,
                default=option.default,
                help=option.help,
                dest=option.name,
            )
        else:
            p.add_argument(
                option.flag, type=int, default=option.default, metavar="N", help=option.help
            )
