"""The build time limit: ``[build] timeout_s`` in experiment.toml, ``build_timeout_s`` of the
options (``--build-timeout``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.errors import ExperimentConfigError, UsageError
from kit.inputs.app import load_app
from kit.inputs.experiment import DEFAULT_BUILD_TIMEOUT_S
from kit.pipeline.options import Options


def write_app(root: Path, toml: str) -> Path:
    root.mkdir(exist_ok=True)
    (root / "Dockerfile.a").write_text("FROM kitbase/busybox:1\n")
    (root / "experiment.toml").write_text(toml)
    return root


def test_build_timeout_from_experiment_toml(tmp_path: Path) -> None:
    assert load_app(write_app(tmp_path, "")).build_timeout_s == DEFAULT_BUILD_TIMEOUT_S == 1800
    assert load_app(write_app(tmp_path, "[build]\ntimeout_s = 5\n")).build_timeout_s == 5.0


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[build]\ntimeout_s = 0\n", "build.timeout_s must be a positive number"),
        ("[build]\ntimeout_s = '5'\n", "build.timeout_s must be a positive number"),
        ("[build]\ntimeout_s = true\n", "build.timeout_s must be a positive number"),
        ("[build]\ntimeout = 5\n", r"unknown keys in \[build\]: timeout"),
        ("build = 5\n", r"\[build\] must be a table"),
    ],
)
def test_bad_build_timeouts_name_the_file(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ExperimentConfigError, match=message) as raised:
        load_app(write_app(tmp_path, toml))
    assert raised.value.file is not None and raised.value.file.endswith("experiment.toml")


def test_the_command_lines_timeout_must_be_positive() -> None:
    assert Options.of(build_timeout_s=5).build_timeout_s == 5
    with pytest.raises(UsageError, match="build timeout"):
        Options.of(build_timeout_s=0)


@pytest.mark.parametrize("command", ["measure", "check"])
def test_build_timeout_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    from kit import cli
    from kit.pipeline import experiment

    seen: list[object] = []

    def stop(*_: object, **kwargs: object) -> None:
        seen.append(kwargs.get("build_timeout_s"))
        raise UsageError("stopped before measuring")

    monkeypatch.setattr(experiment, "run_experiment", stop)
    app = write_app(tmp_path / "app", "[budgets]\nmax_layers = 3\n")
    store = ["--store", str(tmp_path / "s")]
    assert cli.main([command, str(app), "--build-timeout", "7.5", *store]) == 2
    assert cli.main([command, str(app), *store]) == 2
    assert seen == [7.5, None]


@pytest.mark.parametrize("command", ["measure", "check"])
def test_builder_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """``--builder`` reaches run_experiment from both commands (check once dropped it, so a
    gate asked for the classic builder measured under BuildKit)."""
    from kit import cli
    from kit.pipeline import experiment

    seen: list[object] = []

    def stop(*_: object, **kwargs: object) -> None:
        seen.append(kwargs.get("builder", "missing"))
        raise UsageError("stopped before measuring")

    monkeypatch.setattr(experiment, "run_experiment", stop)
    app = write_app(tmp_path / "app", "[budgets]\nmax_layers = 3\n")
    store = ["--store", str(tmp_path / "s")]
    assert cli.main([command, str(app), "--builder", "classic", *store]) == 2
    assert cli.main([command, str(app), "--builder", "buildkit", *store]) == 2
    assert cli.main([command, str(app), *store]) == 2
    assert seen == ["classic", "buildkit", "auto"]
