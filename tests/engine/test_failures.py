"""Every way a variant can fail becomes a failed row of the right error type, naming its cause,
while the app's other variants are still measured and nothing is left on the engine.

Rows only carry the error's type name, so each test also raises the error itself, through the
same kit function the pipeline uses, and checks its exact class.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from prereq import unavailable

from kit import cli
from kit.errors import (
    BaseImageError,
    BuildError,
    ContainerExitError,
    ExperimentConfigError,
    InvalidVariantError,
    ProbeTimeoutError,
)
from kit.inputs.app import load_app
from kit.model.results import Results
from kit.model.saved import load_results
from kit.pipeline.experiment import run_experiment

Measure = Callable[..., Results]

# -- build failures -------------------------------------------------------------------------------


def test_dockerfile_syntax_error(measure: Measure, check, builder: str, no_leaks: None) -> None:
    error = check.build_error("eng-syntax", "bad", builder=builder)
    assert type(error) is BuildError
    assert "unknown instruction" in error.message

    results = measure("eng-syntax", builder=builder)
    assert results.run.builder == builder
    check.failed(results, "bad", "BuildError", "unknown instruction", built=False)
    check.ok(results, "ok")


def test_failing_run_step(measure: Measure, check, builder: str, no_leaks: None) -> None:
    results = measure("eng-runfail", builder=builder)
    # Each builder words it its own way (and names no line); the kit says the same under both:
    # the line, the instruction, the exit code and what the step printed last.
    said = (
        "Dockerfile.fails, line 3: `RUN echo KIT-RUN-FAILED-MARKER && exit 3` failed (exit code "
        "3): KIT-RUN-FAILED-MARKER"
    )
    r = check.failed(results, "fails", "BuildError", said, built=False)
    assert r.error == said
    assert r.log_tail is not None
    lines = r.log_tail.splitlines()
    assert any(line.endswith("KIT-RUN-FAILED-MARKER") for line in lines), r.log_tail
    if builder == "classic":
        # The first RUN finished, so the failed build made an image for it: prove it existed
        # and that the kit removed it (no_leaks also checks that no dangling image is left).
        first = next(i for i, line in enumerate(lines) if "RUN echo first step works" in line)
        made = [
            m.group(1) for line in lines[first:] if (m := re.fullmatch(r" ---> (\w{12})", line))
        ]
        assert made, f"no intermediate image in the log tail:\n{r.log_tail}"
        assert check.engine.images.inspect(made[0]) is None, f"{made[0]} left behind"
    check.ok(results, "ok")

    error = check.build_error("eng-runfail", "fails", builder=builder)
    assert type(error) is BuildError
    assert (error.line, error.cause) == (3, "KIT-RUN-FAILED-MARKER")
    assert any(line.endswith("KIT-RUN-FAILED-MARKER") for line in error.log_tail)


def test_workdir_after_user(measure: Measure, check, builder: str, no_leaks: None) -> None:
    """``USER`` then ``WORKDIR``: BuildKit creates the directory for that user, the classic
    builder for root (moby/moby#36677), and the kit says so where the RUN is denied."""
    results = measure("eng-workdir", builder=builder)
    if builder == "buildkit":
        check.ok(results, "userfirst")
        return
    said = [
        "Dockerfile.userfirst, line 5: `RUN touch made-by-the-user` failed (exit code 1): ",
        "Permission denied",
        "the classic builder created WORKDIR /app (line 4) owned by root, although `USER 1000` "
        "(line 2) came before it",
    ]
    check.failed(results, "userfirst", "BuildError", *said, built=False)
    error = check.build_error("eng-workdir", "userfirst", builder=builder)
    assert error.hint is not None and "`RUN mkdir -p /app && chown 1000 /app`" in error.hint


def test_copy_of_a_missing_file(measure: Measure, check, builder: str, no_leaks: None) -> None:
    results = measure("eng-copymissing", builder=builder)
    said = "COPY failed" if builder == "classic" else "not found"
    r = check.failed(results, "nocopy", "BuildError", said, "no-such-file.txt", built=False)
    assert r.log_tail is not None and "COPY no-such-file.txt" in r.log_tail
    check.ok(results, "ok")

    assert type(check.build_error("eng-copymissing", "nocopy", builder=builder)) is BuildError


def test_local_base_that_was_never_built(
    measure: Measure, check, builder: str, no_leaks: None
) -> None:
    results = measure("eng-base", profile="local", builder=builder)
    check.failed(results, "missing", "BaseImageError", "line 2", "kitbase/nope:1", built=False)
    check.ok(results, "ok")

    error = check.build_error("eng-base", "missing", "local", builder=builder)
    assert type(error) is BaseImageError
    # Not "run `kit bases`": no base it makes has that name.
    assert error.hint is not None and "`kit bases` makes no kitbase/nope:1" in error.hint
    assert "kit bases" in str(error)
    assert (error.app, error.variant) == ("eng-base", "missing")


def test_hub_base_that_cannot_be_pulled(
    engine, measure: Measure, check, builder: str, no_leaks: None
) -> None:
    # The engine has no route to Docker Hub here, so the pull fails at once (where the Hub is
    # reachable it fails fast too: that repository does not exist). An engine that only times
    # out would make this test slow: skip rather than wait.
    asked = time.perf_counter()
    if not engine.transfers.hub_answers(timeout=60) and time.perf_counter() - asked > 50:
        unavailable("the engine takes about a minute to give up on Docker Hub; not waiting")
    results = measure("eng-base", profile="hub", builder=builder)
    assert results.run.profile == "hub"
    # The error names the line and the image (or, where the Hub answers, the engine's message
    # names the repository it does not have).
    r = check.failed(results, "missing", "BaseImageError", built=False)
    assert r.error is not None
    assert "kit-engine-test-absent" in r.error, r.error
    check.ok(results, "ok")

    error = check.build_error("eng-base", "missing", "hub", builder=builder)
    assert type(error) is BaseImageError
    # Nothing the kit makes stands in for that image, and the local profile's base
    # (kitbase/nope:1) is none of the kit's either: neither is offered.
    assert error.hint is not None
    assert "no embedded stand-in exists for kit-engine-test-absent:18" in error.hint
    assert "--profile local" not in error.hint


# -- variant names and app configuration ----------------------------------------------------------


def test_invalid_variant_name(measure: Measure, check, no_leaks: None) -> None:
    results = measure("eng-badname")
    r = check.failed(
        results, "Bad_Name", "InvalidVariantError", "invalid variant name 'Bad_Name'", built=False
    )
    assert r.dockerfile == "Dockerfile.Bad_Name"
    assert [t.variant for t in results.trial_rows] == ["ok"] * (check.warmups + check.trials)
    check.ok(results, "ok")

    (rejected,) = load_app(check.app_dir("eng-badname")).rejected
    assert type(rejected.error) is InvalidVariantError


def test_app_without_dockerfiles(engine, tmp_path: Path, capsys) -> None:
    empty = tmp_path / "eng-empty"
    empty.mkdir()
    (empty / "Dockerfile").write_text("FROM kitbase/busybox:1\n")  # not Dockerfile.<variant>
    with pytest.raises(ExperimentConfigError) as raised:
        run_experiment(empty, profile="local", trials=2, engine=engine, progress=False)
    assert type(raised.value) is ExperimentConfigError
    assert "no Dockerfile.<variant> files" in raised.value.message

    assert cli.main(["measure", str(empty), "--profile", "local", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "ExperimentConfigError" in err and "no Dockerfile.<variant> files" in err


def test_malformed_experiment_toml(engine, check, tmp_path: Path, capsys) -> None:
    app = check.app_dir("eng-badtoml")
    with pytest.raises(ExperimentConfigError) as raised:
        run_experiment(app, profile="local", trials=2, engine=engine, progress=False)
    assert type(raised.value) is ExperimentConfigError
    assert "experiment.toml" in raised.value.message
    assert raised.value.file == str(app / "experiment.toml")

    out = tmp_path / "never-written"
    assert cli.main(["measure", str(app), "--profile", "local", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "ExperimentConfigError" in err and "experiment.toml is not valid TOML" in err
    assert not out.exists()


# -- start failures -------------------------------------------------------------------------------


def test_log_probe_that_never_matches(measure: Measure, check, no_leaks: None) -> None:
    results = measure("eng-logtimeout")
    r = check.failed(results, "silent", "ProbeTimeoutError", "'ready'", "2 s", built=True)
    assert r.log_tail is not None and "still warming up" in r.log_tail
    # The image was built and sized before its first start timed out.
    assert r.image_id and r.size_bytes is not None and r.size_bytes > 0
    trials = [t for t in results.trial_rows if t.variant == "silent"]
    assert [(t.warmup, t.status, t.error_type) for t in trials] == [
        (True, "failed", "ProbeTimeoutError")
    ]
    # A container that quits before logging the line is an exit, not a timeout.
    r = check.failed(results, "quits", "ContainerExitError", "code 5", "'ready'", built=True)
    assert r.log_tail == "bye"
    check.ok(results, "ok")

    assert type(check.start_error(results, "silent")) is ProbeTimeoutError
    assert type(check.start_error(results, "quits")) is ContainerExitError


def test_exit_probe_on_a_container_that_never_exits(
    measure: Measure, check, no_leaks: None
) -> None:
    results = measure("eng-exittimeout")
    check.failed(results, "hang", "ProbeTimeoutError", "still running after 2 s", built=True)
    check.ok(results, "ok")

    assert type(check.start_error(results, "hang")) is ProbeTimeoutError


def test_http_probe_on_a_server_that_never_listens(measure: Measure, check, no_leaks: None) -> None:
    results = measure("eng-http")
    check.failed(results, "deaf", "ProbeTimeoutError", "http probe", "not 200", built=True)
    check.ok(results, "ok")

    assert type(check.start_error(results, "deaf")) is ProbeTimeoutError


def test_container_that_exits_non_zero(measure: Measure, check, no_leaks: None) -> None:
    results = measure("eng-crash")
    r = check.failed(results, "boom", "ContainerExitError", "code 4", built=True)
    assert r.log_tail is not None and "boom" in r.log_tail.splitlines()
    trials = [t for t in results.trial_rows if t.variant == "boom"]
    assert [(t.status, t.error_type) for t in trials] == [("failed", "ContainerExitError")]
    check.ok(results, "ok")

    error = check.start_error(results, "boom")
    assert type(error) is ContainerExitError
    assert "boom" in error.log_tail


def test_failed_variant_through_the_cli(check, no_leaks: None, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    app = str(check.app_dir("eng-crash"))
    argv = ["measure", app, "--profile", "local", "--trials", "2", "--warmups", "1"]
    # The results are written first; the failure is reported through the exit code.
    assert cli.main([*argv, "--out", str(out), "--quiet"]) == 1
    assert "appended to the store" in capsys.readouterr().out
    results = load_results(out)
    r = check.failed(results, "boom", "ContainerExitError", "code 4", built=True)
    assert r.log_tail is not None and "boom" in r.log_tail.splitlines()
    check.ok(results, "ok")
    assert load_results(results.save(tmp_path / "again")) == results


def test_a_closure_missing_its_loader_is_a_failed_row(
    measure: Measure, check, no_leaks: None
) -> None:
    """A distroless image that forgot a needed file cannot even exec its command."""
    results = measure("eng-closure")
    check.failed(results, "noloader", "ContainerExitError", "exited with code", built=True)
    row = next(r for r in results.image_rows if r.variant == "noloader")
    assert "no such file or directory" in (row.log_tail or "")
    check.ok(results, "ok")
