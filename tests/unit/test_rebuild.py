"""kit.measure.rebuild without an engine: which file is edited, how, and the step count."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.engine import BuildStep
from kit.engine.buildlog import ClassicSteps, PlainProgress
from kit.errors import KitError
from kit.inputs.dockerfile import Dockerfile
from kit.measure.rebuild import append_comment, comment_line, pick_source, rebuilt_steps

LOGS = Path(__file__).parent / "fixtures" / "buildlogs"
# Recorded with measure_rebuild on tests/engine/apps/eng-rebuild (copy-first) under each builder:
# the rebuild after the edit, kit labels included.
COPY_FIRST = Path(__file__).parents[1] / "engine" / "apps" / "eng-rebuild" / "Dockerfile.copy-first"


def _steps(builder: str) -> tuple[BuildStep, ...]:
    lines = (LOGS / f"{builder}-rebuild.log").read_text().splitlines()
    if builder == "classic":
        reader = ClassicSteps()
        for line in lines:
            reader(line)
        return reader.finish()
    progress = PlainProgress()
    for line in lines:
        progress(line)
    return progress.steps


def test_classic_rebuild_counts_the_dockerfiles_steps_not_from_and_the_kits_labels() -> None:
    steps = _steps("classic")
    # Read off the log by hand: FROM, WORKDIR (cache), COPY, RUN, CMD, then 4 LABELs of the kit's.
    assert [s.keyword for s in steps] == ["FROM", "WORKDIR", "COPY", "RUN", "CMD"] + ["LABEL"] * 4
    assert [s.cached for s in steps][:2] == [False, True]
    assert rebuilt_steps(Dockerfile.read(COPY_FIRST), steps) == 3  # COPY, RUN, CMD


def test_buildkit_rebuild_counts_only_the_steps_it_reran() -> None:
    steps = _steps("buildkit")
    assert [(s.instruction, s.cached) for s in steps] == [
        ("FROM docker.io/kitbase/busybox:1", False),
        ("WORKDIR /app", True),
        ("COPY . .", False),
        ("RUN cp deps.txt installed.txt", False),
    ]
    assert [s.seconds for s in steps] == [0.0, None, 0.0, 0.2]
    assert rebuilt_steps(Dockerfile.read(COPY_FIRST), steps) == 2  # COPY, RUN: CMD is no step


def test_global_args_are_never_counted() -> None:
    dockerfile = Dockerfile.parse("ARG A=1\nFROM busybox\nRUN true\n")
    steps = (
        BuildStep("ARG A=1", False, 0.1, 1),
        BuildStep("FROM busybox", False, 0.1, 2),
        BuildStep("RUN true", False, 0.1, 3),
        BuildStep("LABEL kit.app=x", False, 0.1, 4),
    )
    assert rebuilt_steps(dockerfile, steps) == 1


def test_default_source_order(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "b.go").write_text("package b\n")
    (tmp_path / "src" / "a.go").write_text("package a\n")
    assert pick_source(tmp_path) == tmp_path / "src" / "a.go"
    (tmp_path / "app.py").write_text("print(1)\n")
    assert pick_source(tmp_path) == tmp_path / "app.py"
    (tmp_path / "server.js").write_text("1\n")
    assert pick_source(tmp_path) == tmp_path / "server.js"
    assert pick_source(tmp_path, "src/pkg/b.go") == tmp_path / "src" / "pkg" / "b.go"


@pytest.mark.parametrize("edit", ["../outside.py", "missing.py", "src"])
def test_named_file_must_be_a_file_in_the_context(tmp_path: Path, edit: str) -> None:
    (tmp_path / "ctx" / "src").mkdir(parents=True)
    (tmp_path / "outside.py").write_text("x = 1\n")
    with pytest.raises(KitError, match="is not a file in the build context"):
        pick_source(tmp_path / "ctx", edit)


def test_nothing_to_edit(tmp_path: Path) -> None:
    with pytest.raises(KitError, match="no source file to edit"):
        pick_source(tmp_path)


@pytest.mark.parametrize(
    ("name", "marker"), [("server.js", "//"), ("main.go", "//"), ("app.py", "#"), ("run.sh", "#")]
)
def test_comment_in_the_files_language(tmp_path: Path, name: str, marker: str) -> None:
    assert comment_line(tmp_path / name, "n0") == f"{marker} kit rebuild n0\n"


def test_append_keeps_the_last_line_intact(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text("print(1)")  # no trailing newline
    append_comment(path, "abc")
    assert path.read_text() == "print(1)\n# kit rebuild abc\n"
