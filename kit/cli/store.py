"""``kit store check``: read every file of a result store, move damaged runs aside, say what."""

from __future__ import annotations

import argparse


def store(args: argparse.Namespace) -> int:
    """Exit 0: every run intact and nothing in quarantine; 1: damage found, now or by an
    earlier load (see ``<store>/quarantine/``); 2: no store there, or it stayed locked."""
    from kit.model.store import Store

    found = Store(args.store).check()
    intact = len(Store(args.store).runs())
    for finding in found:
        print(finding.line())
    print(f"the result store {args.store}: {intact} run(s) intact, {len(found)} finding(s)")
    return 1 if found else 0
