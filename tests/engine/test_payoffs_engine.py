"""The payoffs through run_experiment and the CLI: a real registry, real rebuilds, df sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import cli
from kit.engine import Engine
from kit.model.store import Store


def test_payoffs_through_the_cli(
    engine: Engine, check, no_leaks: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    argv = ["measure", str(check.app_dir("eng-rebuild")), "--profile", "local", "--quiet"]
    extra = ["--trials", "1", "--distribution", "1", "--rebuild", "1", "--capacity"]
    assert cli.main([*argv, *extra, "--store", str(store)]) == 0, capsys.readouterr().err
    results = Store(store).results()
    rows = {r.variant: r for r in results.ok}
    assert set(rows) == {"deps-first", "copy-first"}

    pushes = results.table("distribution")
    cold = pushes[(pushes["mode"] == "cold") & (pushes["status"] == "ok")]
    assert set(cold["variant"]) == set(rows)
    assert (cold["pushed_bytes"] > 0).all() and (cold["push_s"] > 0).all()
    # The siblings share their base layers, so a warm push sends less than a cold one.
    warm = pushes[(pushes["mode"] == "warm") & (pushes["status"] == "ok")]
    for variant, group in warm.groupby("variant"):
        assert int(group["pushed_bytes"].iloc[0]) < int(
            cold.loc[cold["variant"] == variant, "pushed_bytes"].iloc[0]
        )
    for r in rows.values():
        assert r.push_median_s and r.pull_median_s and r.pushed_bytes and r.rebuild_s
    # The seed's ordering: a source edit re-runs the install step only when sources come first.
    assert (rows["copy-first"].rebuild_steps or 0) > (rows["deps-first"].rebuild_steps or 0)

    fits = results.table("capacity")
    assert set(fits["variant"]) == set(rows)
    assert (fits["fit_shared"] >= fits["fit_separate"]).all()
    together, separate = fits["app_together_bytes"].iloc[0], fits["app_separate_bytes"].iloc[0]
    assert together < separate  # one copy of the shared busybox layer, not two

    printed = capsys.readouterr().out
    assert "push_median_s" in printed and "rebuild_s" in printed

    # Rerun: every payoff comes from the store, nothing is pushed again.
    assert cli.main([*argv, *extra, "--store", str(store)]) == 0
    again = Store(store).results()
    assert again.run.run_id != results.run.run_id
    assert again.distribution_rows == results.distribution_rows
    assert {r.variant for r in again.reused} == set(rows)
