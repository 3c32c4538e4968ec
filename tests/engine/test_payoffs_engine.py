"""The payoffs through run_experiment and the CLI: a real registry, real rebuilds, df sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from prereq import need_registry

from kit import cli
from kit.engine import Engine
from kit.host.registry import local_registry, slug
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


def test_an_external_registry_end_to_end(
    engine: Engine,
    check,
    no_leaks: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--registry URL``: a second docker-registry this test starts; the kit pushes to it and
    pulls from it, never starts one of its own, and the bytes it reports are the manifests'."""
    need_registry()

    def forbidden() -> None:
        raise AssertionError("the kit started a registry of its own")

    monkeypatch.setattr("kit.pipeline.payoffs.local_registry", forbidden)
    store = tmp_path / "store"
    with local_registry() as theirs:
        assert theirs.storage is not None
        argv = ["measure", str(check.app_dir("eng-rebuild")), "--profile", "local", "--quiet"]
        extra = ["--trials", "1", "--distribution", "1", "--registry", theirs.url]
        assert cli.main([*argv, *extra, "--store", str(store)]) == 0, capsys.readouterr().err
        results = Store(store).results()
        repositories = theirs.storage / "docker/registry/v2/repositories"
        pushed_to = {p.name for p in repositories.iterdir()}
        # Read from the registry's own HTTP API, not through the kit.
        manifests = {
            variant: requests.get(
                f"{theirs.url}/v2/{slug(variant)}/manifests/kit",
                headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
                timeout=30,
            ).json()
            for variant in ("deps-first", "copy-first")
        }
    assert pushed_to == {slug(v) for v in manifests}
    cold = {d.variant: d for d in results.distribution_rows if d.mode == "cold"}
    assert {v: d.status for v, d in cold.items()} == {v: "ok" for v in manifests}
    assert [r.trial for r in results.distribution_rows] == [0, 0, 0, 0]
    # What each push sent, worked out from the registry's manifests in the order the trials
    # ran: the config (always sent) and the layers the registry did not hold yet. A warm trial
    # first pushes the sibling (here, the other variant); the registry is never emptied.
    held: set[str] = set()

    def layers(variant: str) -> dict[str, int]:
        return {layer["digest"]: layer["size"] for layer in manifests[variant]["layers"]}

    for row in results.distribution_rows:
        if row.mode == "warm":
            held |= set(layers(next(v for v in manifests if v != row.variant)))
        new = {d: size for d, size in layers(row.variant).items() if d not in held}
        sent = manifests[row.variant]["config"]["size"] + sum(new.values())
        assert (row.status, row.pushed_bytes) == ("ok", sent), row
        held |= set(layers(row.variant))
    for variant in manifests:
        image = engine.api.inspect_image(check.tag("eng-rebuild", variant))
        assert image["RepoTags"] == [check.tag("eng-rebuild", variant)]
        assert not [d for d in image.get("RepoDigests") or [] if d.startswith(theirs.host)]
    assert all(r.push_median_s and r.pull_median_s for r in results.ok)
