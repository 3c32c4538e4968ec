"""kit.measure.payoffs.rebuild without an engine: which file is edited, how, and the step count."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.errors import KitError
from kit.measure.payoffs.rebuild import StepCounter, append_comment, comment_line, pick_source

# A real classic-builder log of a rebuild after an edit (copy-first order), kit labels included.
REBUILD_LOG = """Step 0/9 : ARG BASE=kitbase/busybox:1
Step 1/9 : FROM kitbase/busybox:1
 ---> 393eabe84151
Step 2/9 : WORKDIR /app
 ---> Using cache
 ---> 290d5a7ec03f
Step 3/9 : COPY . .
 ---> 38a93f6dbf9c
Step 4/9 : RUN cp deps.txt installed.txt
 ---> Running in fa5b51698494
Removing intermediate container fa5b51698494
 ---> 52f0588e34cc
Step 5/9 : CMD ["cat", "/app/app.py"]
 ---> Running in 8a3e72ff172e
 ---> 4dd01abb7317
Step 6/9 : LABEL kit.app=eng-rebuild
 ---> Running in cd4c2c280d13
 ---> a7eb7675d61e
Step 7/9 : LABEL kit.managed=1
 ---> Running in 02ad0c3b3dae
 ---> fadeda0bf5b9
Step 8/9 : LABEL kit.profile=local
 ---> Running in 7e6a8a21b60a
 ---> 6fed365d24b0
Step 9/9 : LABEL kit.variant=copy-first
 ---> Running in 8a04c322ae4a
 ---> 1e0dd8607b1d
Successfully built 1e0dd8607b1d"""


def test_steps_not_from_cache_ignore_from_and_the_kits_labels() -> None:
    counter = StepCounter(frozenset({"kit.app", "kit.managed", "kit.profile", "kit.variant"}))
    for line in REBUILD_LOG.splitlines():
        counter(line)
    assert (counter.steps, counter.cached, counter.rebuilt) == (4, 1, 3)
    everything = StepCounter()
    for line in REBUILD_LOG.splitlines():
        everything(line)
    assert everything.rebuilt == 7  # without the ignore list the labels count


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
