"""Parsers of the commands that measure an app: ``measure`` and ``check`` (the CI gate)."""

from __future__ import annotations

from pathlib import Path

from kit.cli import advise, check, experiment
from kit.cli.args.common import (
    Subparsers,
    command,
    json_option,
    measure_options,
    quiet_option,
    registered_options,
)

CHECK_EPILOG = """\
exit codes: 0 every budget holds; 1 a budget is exceeded or could not be measured (a failed
variant, a floor that could not be traced; --allow-unmeasured lets those pass); 2 the app or a
budget is wrong (KitError), or no budget is declared (and no --advise-max-mb). With
--advise-max-mb N, an untried technique that would save more than N MB fails the gate too.
"""


def add(sub: Subparsers) -> None:
    m = command(sub, "measure", "build, size and start every variant of an app")
    measure_options(m)
    registered_options(m, "measure")
    m.add_argument("--registry", metavar="URL", help="push to this registry, not a local one")
    m.add_argument("--out", type=Path, help="also save this run's tables in this directory")
    json_option(m, "the images rows and the claims")
    quiet_option(m)
    m.set_defaults(func=experiment.measure)

    c = command(
        sub,
        "check",
        "measure an app and hold it to its budgets: a CI gate",
        "Measure an app (reusing the store's unchanged variants) and judge every budget its "
        "experiment.toml declares ([budgets], [variants.X.budgets]) on every variant.",
    )
    c.epilog = CHECK_EPILOG
    measure_options(c)
    registered_options(c, "check")
    c.add_argument(
        "--junit-xml",
        type=Path,
        metavar="FILE",
        help="also write JUnit XML: one test case per variant and budget",
    )
    c.add_argument(
        "--against",
        metavar="REF",
        help="also fail when a variant grew more than --max-growth since the store's latest "
        "run at this git ref of the app's checkout",
    )
    c.add_argument(
        "--max-growth",
        type=float,
        default=5.0,
        metavar="PCT",
        help="with --against: the growth allowed, in %%",
    )
    c.add_argument(
        "--allow-unmeasured",
        action="store_true",
        help="a budget on a value the run could not measure passes (skipped), not fails",
    )
    c.add_argument(
        "--advise-max-mb",
        type=float,
        metavar="N",
        help="also run kit advise on the app's Dockerfile and fail when an untried technique "
        "would save more than N MB (an app with only a Dockerfile needs no budgets)",
    )
    c.add_argument(
        "--advise-file",
        type=Path,
        metavar="FILE",
        help="with --advise-max-mb: the Dockerfile to advise (default: APP/Dockerfile)",
    )
    json_option(c, "the images rows, claims and budget verdicts")
    quiet_option(c)
    c.set_defaults(func=check.check)

    a = command(
        sub,
        "advise",
        "try every diet technique on one Dockerfile; write the working ones as Dockerfile.advised",
        "Derive one candidate Dockerfile per technique that applies (light base, distroless, only "
        "what is needed, same-RUN cleanup, fewer layers, .dockerignore, multi-stage, cache "
        "order), build and measure each, check it answers its probe as the original does, and "
        "write the working ones combined as Dockerfile.advised beside the original (never "
        "changing it), with a unified diff.",
    )
    a.add_argument("path", type=Path, help="the build context (an app directory)")
    a.add_argument("-f", "--file", type=Path, help="the Dockerfile (default: PATH/Dockerfile)")
    a.add_argument(
        "--lighter",
        action="append",
        metavar="IMAGE=LIGHTER",
        help="extend the light-base table: IMAGE's slimmer image (repeatable)",
    )
    json_option(a, "the advice: every technique's verdict and sizes, the combination, the diff")
    quiet_option(a)
    a.set_defaults(func=advise.advise)
