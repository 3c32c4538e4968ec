"""The unit suite keeps the kit's state folder (locks, remembered comparisons) to itself: a unit
test never reads or writes the user's ``~/.local/state/kit`` (conftest's session folder)."""

from __future__ import annotations

import os
from pathlib import Path

from kit.config import state_dir


def test_the_state_folder_is_a_private_one() -> None:
    default = Path(os.path.expanduser("~/.local/state/kit")).resolve()
    found = state_dir().resolve()
    assert found != default
    assert default not in found.parents
    assert found.name.startswith("kit-state")
