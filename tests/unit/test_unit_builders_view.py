"""The stages a build ran, read from each builder's recorded log, and kit.views.builders on
hand-made rows of two runs (one per builder): verdicts, facts, table and figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from results_factory import image_row, run_info

from kit.engine import BuildStep
from kit.engine.buildlog import ClassicSteps, PlainProgress
from kit.inputs.dockerfile import Dockerfile
from kit.inputs.features import buildkit_only
from kit.measure.steps import stages_built, summarize_build
from kit.model.results import Results
from kit.model.rows import RebuildRow, RuleBytes
from kit.views import builders

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[2]
LOGS = Path(__file__).parent / "fixtures" / "buildlogs"
MULTISTAGE = REPO / "dockerfiles" / "notes-api" / "Dockerfile.multistage"


def _read(name: str) -> tuple[BuildStep, ...]:
    lines = (LOGS / name).read_text().splitlines()
    if name.startswith("classic"):
        classic = ClassicSteps()
        for line in lines:
            classic(line)
        return classic.finish()
    progress = PlainProgress()
    for line in lines:
        progress(line)
    return progress.steps


def test_buildkit_log_of_notes_api_multistage_shows_no_dev_stage() -> None:
    # Recorded: DOCKER_BUILDKIT=1 docker build --progress=plain -f Dockerfile.multistage; its
    # vertices are labelled [build n/5] and [release n/6], none [dev …].
    steps = _read("buildkit-notes-multistage.log")
    dockerfile = Dockerfile.read(MULTISTAGE)
    assert stages_built(dockerfile, steps) == ("build", "release")
    # By hand: build RUN venv, WORKDIR, COPY, RUN pip; release RUN groupadd, COPY venv, WORKDIR,
    # COPY app. Not counted: the FROMs, and release's apt RUN, which this log shows as CACHED
    # (an earlier build of `single` had made the same step).
    assert summarize_build(dockerfile, steps).build_steps == 8


def test_classic_log_of_notes_api_multistage_runs_every_stage() -> None:
    # Recorded: DOCKER_BUILDKIT=0 docker build -f Dockerfile.multistage (steps 1-26, and the
    # kit's label steps are not in a plain docker build).
    steps = _read("classic-notes-multistage.log")
    dockerfile = Dockerfile.read(MULTISTAGE)
    assert stages_built(dockerfile, steps) == ("build", "dev", "release")


def test_unnamed_stages_are_labelled_as_buildkit_labels_them() -> None:
    dockerfile = Dockerfile.parse(
        "FROM busybox AS fetch\nRUN true\nFROM busybox\nCOPY --from=fetch /x /x\n"
    )
    steps = (
        BuildStep("RUN true", False, 0.1, None, "fetch"),
        BuildStep("COPY /x /x", False, 0.1, None, "stage-1"),
    )
    assert stages_built(dockerfile, steps) == ("fetch", "stage-1")
    classic = (BuildStep("COPY --from=fetch /x /x", False, 0.1, 4, None),)
    assert stages_built(dockerfile, classic) == ("stage-1",)


def test_buildkit_labels_no_step_of_a_single_unnamed_stage() -> None:
    dockerfile = Dockerfile.parse("FROM busybox\nRUN true\n")
    # As BuildKit prints it for a one-stage Dockerfile: "#5 [2/2] RUN true", no stage label.
    progress = PlainProgress()
    for line in ("#4 [1/2] FROM docker.io/library/busybox", "#5 [2/2] RUN true", "#5 DONE 0.2s"):
        progress(line)
    assert stages_built(dockerfile, progress.steps) == ("stage-0",)


def test_two_cache_mounts_on_one_run_are_one_finding() -> None:
    dockerfile = Dockerfile.read(REPO / "dockerfiles" / "notes-api" / "Dockerfile.cache-mount")
    found = [(f.line, f.what) for f in buildkit_only(dockerfile)]
    # By hand: line 7 (apt's two mounts), line 17 (pip's).
    assert found == [(7, "`RUN --mount`"), (17, "`RUN --mount`")]


def _runs(
    *,
    classic_rebuilds: tuple[float, ...] = (9.0, 9.4, 9.2),
    single_lists: int = 80_000_000,
) -> list[Results]:
    def run(builder: str) -> Results:
        bk = builder == "buildkit"
        # cache-mount first, as the store lists the variants (by name): the one that fails
        # under the classic builder leads every figure.
        rows = (
            image_row("cache-mount", size_bytes=155_000_000, layers=8, stages_built="stage-0")
            if bk
            else image_row(
                "cache-mount",
                status="failed",
                error="needs BuildKit",
                error_type="BuilderSyntaxError",
                size_bytes=None,
                layers=None,
            ),
            image_row(
                "single", size_bytes=238_000_000, layers=8 if bk else 7, stages_built="stage-0"
            ),
            image_row(
                "multistage",
                stages=3,
                size_bytes=176_000_000,
                layers=7,
                stages_built="build, release" if bk else "build, dev, release",
            ),
        )
        lists = {"single": single_lists, "cache-mount": 0, "multistage": 0}
        rule_bytes = tuple(
            RuleBytes("tiny", v, rule, prefix, lists[v] if rule == "DL3009" else 0)
            for v in lists
            if bk or v != "cache-mount"
            for rule, prefix in (("DL3009", "var/lib/apt/lists/"), ("DL3042", "root/.cache/pip/"))
        )
        times = (3.0, 3.2, 3.1) if bk else classic_rebuilds
        rebuilds = tuple(
            RebuildRow("multistage", "app.py", t, 2, "ok", None, app="tiny", trial=i)
            for i, t in enumerate(times)
        )
        return Results(
            run_info(builder=builder, requested_builder=builder, run_id=f"run-{builder}"),
            "tiny",
            "Tiny",
            rows,
            (),
            rule_bytes=rule_bytes,
            rebuild_rows=rebuilds,
        )

    return [run("buildkit"), run("classic")]


def _verdicts(runs: list[Results]) -> dict[str, str]:
    frame = builders.claims(runs, ["cache-mount", "single"])
    return dict(zip(frame["claim"], frame["verdict"], strict=True))


def test_claims_hold_on_measured_rows() -> None:
    verdicts = _verdicts(_runs())
    assert verdicts["BuildKit skips the stages the release does not use"] == "holds"
    assert verdicts["a cache mount keeps the package cache out of the image"] == "holds"
    assert (
        verdicts["skipping unused stages makes BuildKit's rebuild after an edit faster"] == "holds"
    )


def test_overlapping_rebuilds_are_within_noise_and_no_cache_is_not_tested() -> None:
    verdicts = _verdicts(_runs(classic_rebuilds=(2.9, 3.3, 3.05), single_lists=0))
    assert (
        verdicts["skipping unused stages makes BuildKit's rebuild after an edit faster"]
        == "not shown (within noise)"
    )
    assert verdicts["a cache mount keeps the package cache out of the image"] == "not tested"


def test_same_stages_under_both_builders_is_not_a_skip() -> None:
    runs = _runs()
    classic = runs[1]
    same = tuple(
        image_row("multistage", stages=3, stages_built="build, release")
        if r.variant == "multistage"
        else r
        for r in classic.image_rows
    )
    runs[1] = Results(classic.run, "tiny", "Tiny", same, (), rule_bytes=classic.rule_bytes)
    assert _verdicts(runs)["BuildKit skips the stages the release does not use"] == "not tested"


def test_facts_are_the_stable_lines() -> None:
    facts = builders.facts(_runs(), ["cache-mount", "single"])
    assert facts.splitlines()[:2] == [
        "buildkit: 3 ok, 0 failed",
        "classic: 2 ok, 1 failed: cache-mount (BuilderSyntaxError)",
    ]
    assert "multistage stages built: buildkit=build, release; classic=build, dev, release" in facts
    assert "single package cache in its layers: buildkit=yes, classic=yes" in facts
    assert "cache-mount package cache in its layers: buildkit=no" in facts
    assert "single layers: buildkit=8, classic=7" in facts
    assert "size ranking (buildkit, smallest first): cache-mount < multistage < single" in facts
    # Timing verdicts are not facts.
    assert "rebuild" not in facts


def test_table_narration_and_figures() -> None:
    runs = _runs()
    table = builders.table(runs)
    assert len(table) == 6  # three variants × two builders, the failed one included
    failed = table[(table.variant == "cache-mount") & (table.builder == "classic")].iloc[0]
    assert failed.status == "failed" and "BuilderSyntaxError" in failed.error
    ms = table[(table.variant == "multistage") & (table.builder == "classic")].iloc[0]
    assert ms["rebuild median (s)"] == 9.2 and ms["rebuild n"] == 3
    text = builders.narrate(runs, ["cache-mount", "single"])
    assert "**cache-mount** failed: BuilderSyntaxError" in text
    assert "80 MB" in text  # the lists single keeps, as measured
    for figure in (builders.plot_build_times(runs), builders.plot_sizes(runs)):
        assert figure.axes[0].get_title()
        # Both builders in the legend, even when the first variant failed under one of them.
        legend = figure.axes[0].get_legend()
        assert sorted(t.get_text() for t in legend.get_texts()) == ["buildkit", "classic"]
