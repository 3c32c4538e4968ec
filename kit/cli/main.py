"""The ``kit`` command's entry point: the top-level parser (each family's subcommands come from
:mod:`kit.cli.args`), logging, and the exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from kit.cli.args import common, experiment, host, results, runs
from kit.config import settings
from kit.errors import KitError
from kit.util import logs

DESCRIPTION = """\
Measured, reproducible experiments on the advice for shrinking Docker images.

  kit engine up              bring up a Docker engine (Debian's dockerd when none answers)
  kit bases                  make the embedded base images offline
  kit measure APP            build, size and start every variant of an app; into the store
  kit check APP              the same, held to the app's budgets: a CI gate (JUnit XML, JSON)
  kit advise PATH            every diet technique tried on one Dockerfile; Dockerfile.advised
  kit diff APP HAVE LACK     files and packages one variant has and another lacks
  kit show TABLE             a table of the store as Markdown, CSV or JSON
  kit store check            check every file of the store; damaged runs moved aside
  kit notebook NB            execute one notebook with papermill, render it to HTML
  kit batch MATRIX           a matrix of notebooks × parameters, resumable
  kit report [RUN ...]       the store's overview and executed notebooks as HTML for readers
  kit bench                  side-by-side benchmarks (start, layer analysis, batch rerun)
  kit clean                  remove what the kit created
"""

EPILOG = """\
exit codes:
  0    done; everything measured, every budget held
  1    done, but something failed: a variant (measure), a budget (check), a notebook (batch,
       report); the results are written first
  2    a usage or input error (a KitError: bad app, bad option, no engine), nothing measured
  130  interrupted (Ctrl-C); what the kit created was removed

Run `kit COMMAND --help` for a command's options and their defaults.
"""


class _Version(argparse.Action):
    """``--version``: the installed kit's version, looked up only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from kit.pipeline.envelope import kit_version

        print(f"kit {kit_version()}")
        parser.exit()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kit", description=DESCRIPTION, epilog=EPILOG, formatter_class=common.Formatter
    )
    p.add_argument("--version", action=_Version, help="print the kit's version and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument(
        "--log-json", action="store_true", help="log JSON lines to stderr (also KIT_LOG=json)"
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    host.add(sub)
    experiment.add(sub)
    results.add(sub)
    runs.add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure(
        verbose=args.verbose,
        quiet=getattr(args, "quiet", False),
        json_lines=args.log_json or settings().log_json,
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
    except BrokenPipeError:
        # The reader went away (`kit show files | head`): not an error; stdout is closed quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
