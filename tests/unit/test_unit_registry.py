"""kit.measurements: a registered measurement's option, key, table and rows, derived everywhere.

The expected rows are worked out by hand from the inspect documents written here."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from results_factory import image_row, results

import kit
from kit.errors import UsageError
from kit.measurements import registered
from kit.measurements.config import ConfigRow, image_config
from kit.model.saved import load_results
from kit.model.store import Store
from kit.model.tables import TableRows, table_spec
from kit.pipeline.options import Options

NODE = {
    "Config": {
        "User": "node",
        "Env": ["PATH=/usr/local/bin:/usr/bin", "NODE_VERSION=18"],
        "Entrypoint": ["docker-entrypoint.sh"],
        "Cmd": ["node", "server.js"],
        "WorkingDir": "/app",
        "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
        "Healthcheck": {"Test": ["CMD-SHELL", "wget -q localhost:8080"]},
    }
}


def test_the_config_row_of_an_image() -> None:
    assert image_config("a", "slim", NODE) == (
        ConfigRow(
            "a",
            "slim",
            "node",
            False,
            '["docker-entrypoint.sh"]',
            '["node", "server.js"]',
            "/app",
            2,
            "53/udp, 8080/tcp",
            True,
        ),
    )


@pytest.mark.parametrize("user", ["", "root", "0", "0:0", "root:staff"])
def test_root_is_no_user_the_name_or_uid_0(user: str) -> None:
    doc = {"Config": {"User": user, "Healthcheck": {"Test": ["NONE"]}}}
    (row,) = image_config("a", "v", doc)
    assert row.runs_as_root and not row.healthcheck and row.entrypoint is None
    assert (row.env_vars, row.exposed_ports, row.workdir) == (0, "", "")
    (other,) = image_config("a", "v", {"Config": {"User": "65532:65532"}})
    assert not other.runs_as_root


def test_an_option_off_by_default_leaves_the_keys_as_they_were() -> None:
    assert "config" in {m.name for m in registered()}
    plain = Options.of()
    assert plain.keyed() == {"trials": 5, "warmups": 1, "anatomy": True, "contents": True}
    assert not plain.enabled() and "config" not in plain.as_json(False)
    on = Options.of(config=True)
    assert on.keyed()["config"] is True and [m.name for m in on.enabled()] == ["config"]
    assert Options.of(on, config=False) == plain
    with pytest.raises(UsageError, match="config takes true or false"):
        Options.of(config=2)


def test_the_table_is_stored_saved_and_read_back(tmp_path: Path) -> None:
    assert table_spec("config").field is None
    row = image_config("tiny", "slim", NODE)
    run = replace(results([image_row("slim")]), measured=(TableRows("config", row),))
    assert run.rows("config") == row
    saved = load_results(run.save(tmp_path / "saved"))
    assert saved.rows("config") == row
    Store(tmp_path / "store").append(run)
    assert Store(tmp_path / "store").results().rows("config") == row
    assert kit.views.config.root_variants(saved) == []
    assert list(kit.views.config.table(saved)["exposed_ports"]) == ["53/udp, 8080/tcp"]


def test_a_run_without_it_writes_no_such_table(tmp_path: Path) -> None:
    run = results([image_row("slim")])
    assert not (run.save(tmp_path / "saved") / "config.parquet").exists()
    assert load_results(tmp_path / "saved").rows("config") == ()
    assert kit.views.config.table(run).empty


def test_the_flag_is_derived() -> None:
    from kit.cli.main import parser

    args = parser().parse_args(["measure", "app", "--config"])
    assert args.config is True
