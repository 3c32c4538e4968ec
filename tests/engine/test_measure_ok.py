"""Apps whose variants all work: built, sized, started, saved and read back."""

from __future__ import annotations

import hashlib
import io
import os
import platform
import tarfile
from collections.abc import Callable
from pathlib import Path

from kit import cli
from kit.model.results import Results
from kit.model.saved import load_results
from kit.pipeline import experiment
from kit.util.locks import engine_users


def test_exit_probe_app_through_the_cli(check, no_leaks: None, tmp_path: Path, capsys) -> None:
    trials, warmups = check.trials, check.warmups
    out = tmp_path / "results"
    code = cli.main(
        [
            "measure",
            str(check.app_dir("eng-good")),
            "--profile",
            "local",
            "--trials",
            str(trials),
            "--warmups",
            str(warmups),
            "--out",
            str(out),
            "--store",
            str(tmp_path / "store"),
            "--quiet",
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert f"and saved to {out}" in printed.out
    assert load_results(tmp_path / "store") == load_results(out)
    assert (out / "images.parquet").is_file()
    assert (out / "trials.parquet").is_file()

    results = load_results(out)
    assert results.app == "eng-good"
    assert results.title == "engine tests: variants that all work"
    assert results.run.profile == "local" and results.run.requested_profile == "local"
    assert results.run.engine_version and results.run.storage_driver
    assert [r.variant for r in results.image_rows] == ["layered", "tiny"]
    tiny = check.ok(results, "tiny")
    layered = check.ok(results, "layered")
    assert tiny.description == "busybox, CMD true"
    assert tiny.base_image == "kitbase/busybox:1" and tiny.base_bytes
    assert layered.layers is not None and tiny.layers is not None
    assert layered.layers == tiny.layers + 1  # the RUN adds one layer
    assert layered.size_bytes is not None and tiny.size_bytes is not None
    assert layered.size_bytes >= tiny.size_bytes

    table = results.trials
    assert set(table["variant"]) == {"tiny", "layered"}
    for _variant, group in table.groupby("variant"):
        assert int(group["warmup"].sum()) == warmups
        timed = group[~group["warmup"]]
        assert len(timed) == trials
        assert sorted(timed["trial"]) == list(range(trials))
        assert (timed["total_s"] > 0).all()
        assert (group["exit_code"] == 0).all()
    # Every table carries the run's envelope.
    assert set(results.images["run_id"]) == {results.run.run_id}
    assert set(table["run_id"]) == {results.run.run_id}

    # What was read back saves and reads back unchanged.
    again = load_results(results.save(tmp_path / "again"))
    assert again == results


def test_log_probe_app(
    measure: Callable[..., Results], check, builder: str, no_leaks: None, tmp_path: Path
) -> None:
    results = measure("eng-logready", builder=builder)
    assert results.run.builder == builder
    assert not results.failed
    for variant in ("ready", "late"):
        r = check.ok(results, variant)
        assert r.layers is not None and r.layers >= 1
    timed = [t for t in results.trial_rows if not t.warmup]
    assert len(timed) == 2 * check.trials
    # A log probe waits for a line, not an exit: no exit code is recorded.
    assert all(t.exit_code is None and t.ready_s is not None for t in timed)

    loaded = load_results(results.save(tmp_path / "out"))
    assert loaded == results


def test_a_variants_profile_override_is_what_gets_built(
    engine, measure: Callable[..., Results], check, no_leaks: None
) -> None:
    """``[variants.plain.profiles.local] dockerfile = ...``: under local the override is built,
    recorded and measured; the other variant keeps its own Dockerfile."""
    app = check.app_dir("eng-override")
    results = measure("eng-override")
    plain, other = check.ok(results, "plain"), check.ok(results, "other")
    override = app / "local" / "Dockerfile.plain"
    assert plain.dockerfile == "local/Dockerfile.plain"
    assert plain.dockerfile_sha256 == hashlib.sha256(override.read_bytes()).hexdigest()
    assert other.dockerfile == "Dockerfile.other"
    # The engine's own view of the image: the override's two RUNs on busybox's layers, and
    # the file it wrote.
    image = engine.api.inspect_image(plain.tag)
    base = engine.api.inspect_image("kitbase/busybox:1")
    assert len(image["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 2 == plain.layers
    container = engine.api.create_container(plain.tag, command=["true"], network_disabled=True)
    try:
        stream, _ = engine.api.get_archive(container["Id"], "/which")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            member = archive.extractfile("which")
            assert member is not None and member.read() == b"local-override\n"
    finally:
        engine.api.remove_container(container["Id"], force=True)


def test_a_run_holds_the_engine_as_in_use_while_it_runs(
    engine, measure: Callable[..., Results], no_leaks: None, monkeypatch
) -> None:
    """What ``kit clean`` reads to refuse: the run is named as a user of the engine while it
    measures, and no longer once it is done."""
    info = engine.info()
    key = info.daemon_id or info.host
    seen: list[list[str]] = []
    real = experiment.measure_variant

    def recording(*args: object, **kwargs: object) -> object:
        seen.append(engine_users(key))
        return real(*args, **kwargs)

    monkeypatch.setattr(experiment, "measure_variant", recording)
    results = measure("eng-good")
    me = f"pid {os.getpid()} on {platform.node()}: run {results.run.run_id} of eng-good"
    assert seen == [[me], [me]]
    assert me not in engine_users(key)
