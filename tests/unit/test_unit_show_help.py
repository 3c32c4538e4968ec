"""`kit show -h` names every table the store holds, the registered measurements' included."""

from __future__ import annotations

import pytest

from kit.cli.main import parser
from kit.model.tables import TABLES


def test_show_help_names_every_stored_table(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["show", "-h"])
    text = " ".join(capsys.readouterr().out.split())
    # One table the registry adds (config), besides the built-in ones.
    assert {"images", "trials", "distribution", "config"} <= {t.name for t in TABLES}
    for table in TABLES:
        assert f" {table.name}," in text, table.name
    assert "or runs (one row per stored run)" in text
