"""kit.pipeline.cache: the key changes with every input of a variant, and with nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kit.engine import ImageInfo
from kit.pipeline.cache import context_digest, step_key, variant_key
from kit.spec.app import load_app


class Bases:
    """Just enough of an engine: base image ids by reference."""

    def __init__(self, ids: dict[str, str]) -> None:
        self.images = self
        self.known = ids

    def inspect(self, ref: str) -> ImageInfo | None:
        return ImageInfo(self.known[ref], 0, ()) if ref in self.known else None


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile.a").write_text("FROM kitbase/busybox:1\nCOPY app.sh /\n")
    (tmp_path / "Dockerfile.b").write_text("ARG BASE=kitbase/debian:12\nFROM ${BASE}\nCOPY . /\n")
    (tmp_path / "app.sh").write_text("echo hi\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "draft.md").write_text("ignored")
    (tmp_path / ".dockerignore").write_text("# not sent\nnotes\nDockerfile.*\n")
    return tmp_path


ENGINE = Bases({"kitbase/busybox:1": "sha256:bb", "kitbase/debian:12": "sha256:deb"})


def keys(app_dir: Path, engine: Any = ENGINE, **parameters: Any) -> dict[str, str]:
    app = load_app(app_dir)
    return {
        v.name: variant_key(
            engine,
            app,
            v,
            "local",
            kit_version="0.1.0",
            parameters=parameters or {"trials": 3},
        )
        for v in app.variants
    }


def test_key_is_stable(app_dir: Path) -> None:
    assert keys(app_dir) == keys(app_dir)


def test_editing_one_dockerfile_changes_only_its_key(app_dir: Path) -> None:
    before = keys(app_dir)
    (app_dir / "Dockerfile.a").write_text("FROM kitbase/busybox:1\nCOPY app.sh /app.sh\n")
    after = keys(app_dir)
    assert after["a"] != before["a"] and after["b"] == before["b"]


def test_dockerignored_files_do_not_count_but_sent_ones_do(app_dir: Path) -> None:
    before = keys(app_dir)
    (app_dir / "notes" / "draft.md").write_text("edited, still ignored")
    assert keys(app_dir) == before
    (app_dir / "app.sh").write_text("echo changed\n")
    assert all(before[v] != k for v, k in keys(app_dir).items())


def test_file_mode_is_part_of_the_context(app_dir: Path) -> None:
    before = context_digest(app_dir, "Dockerfile.a")
    (app_dir / "app.sh").chmod(0o755)
    assert context_digest(app_dir, "Dockerfile.a") != before


def test_base_image_id_build_args_and_parameters_are_inputs(app_dir: Path) -> None:
    before = keys(app_dir)
    rebuilt = Bases({**ENGINE.known, "kitbase/debian:12": "sha256:newer"})
    moved = keys(app_dir, rebuilt)
    assert moved["b"] != before["b"] and moved["a"] == before["a"]
    assert keys(app_dir, trials=5) != before
    (app_dir / "experiment.toml").write_text(
        '[variants.b]\nargs = { BASE = "kitbase/busybox:1" }\n'
    )
    assert keys(app_dir)["b"] != before["b"]


def test_a_missing_base_gives_a_key_of_its_own(app_dir: Path) -> None:
    assert keys(app_dir, Bases({}))["a"] != keys(app_dir)["a"]


def test_step_key_depends_on_every_variant_and_input() -> None:
    one = step_key({"a": "1", "b": "2"}, probe="Probe()")
    assert one == step_key({"b": "2", "a": "1"}, probe="Probe()")
    assert one != step_key({"a": "1", "b": "3"}, probe="Probe()")
    assert one != step_key({"a": "1", "b": "2"}, probe="Probe(kind='http')")
