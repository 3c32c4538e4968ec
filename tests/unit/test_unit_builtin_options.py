"""The built-in measurements' options, declared once in kit.measurements and derived into the
CLI, Options, the cache-key parts and the phase keywords.

The expected key parts are the ones the kit wrote by hand before the options moved into the
registry (main ea331b8: ``Options.keyed`` and ``_payoffs``' ``step_key`` arguments), so stored
runs keep being reused."""

from __future__ import annotations

import pytest

from kit import measurements
from kit.cli.main import parser
from kit.errors import UsageError
from kit.pipeline.options import Options

BUILTIN = {
    "trials": 5,
    "warmups": 1,
    "anatomy": True,
    "contents": True,
    "floor": True,
    "distribution": 0,
    "fresh_host": False,
    "rebuild": 0,
    "capacity": False,
}


def test_each_builtin_option_is_registered_once_with_the_old_default() -> None:
    names = [o.name for o in measurements.options()]
    assert len(names) == len(set(names))
    plain = Options()
    assert {n: getattr(plain, n) for n in BUILTIN} == BUILTIN
    assert {o.name: o.default for o in measurements.options() if o.name in BUILTIN} == BUILTIN


def test_the_key_parts_are_those_written_by_hand_before() -> None:
    plain = Options.of()
    assert plain.keyed("variant") == {"trials": 5, "warmups": 1, "anatomy": True, "contents": True}
    assert plain.keyed("payoffs") == {"distribution": 0, "rebuild": 0, "capacity": False}
    fresh = Options.of(distribution=2, fresh_host=True, trials=3, floor=False)
    assert fresh.keyed("payoffs") == {
        "distribution": 2,
        "rebuild": 0,
        "capacity": False,
        "fresh_host": True,
    }
    assert fresh.keyed("variant")["trials"] == 3 and "floor" not in fresh.keyed("variant")
    assert fresh.of_step("payoffs") == {
        "distribution": 2,
        "fresh_host": True,
        "rebuild": 0,
        "capacity": False,
    }


def test_the_flags_are_derived_and_check_offers_no_payoffs() -> None:
    args = parser().parse_args(
        ["measure", "app", "--trials", "3", "--no-floor", "--distribution", "2", "--capacity"]
    )
    assert (args.trials, args.floor, args.distribution, args.capacity) == (3, False, 2, True)
    assert (args.warmups, args.anatomy, args.fresh_host, args.rebuild) == (1, True, False, 0)
    checked = parser().parse_args(["check", "app", "--no-contents"])
    assert checked.contents is False and not hasattr(checked, "distribution")
    with pytest.raises(SystemExit):
        parser().parse_args(["check", "app", "--distribution", "1"])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"trials": 0}, "trials must be ≥ 1"),
        ({"rebuild": -1}, "numbers of trials"),
        ({"anatomy": 1}, "anatomy takes true or false"),
        ({"capacity": "yes"}, "capacity takes true or false"),
        ({"warmups": True}, "warmups takes a number ≥ 0"),
    ],
)
def test_a_wrong_value_is_a_usage_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Options.of(**changes)
