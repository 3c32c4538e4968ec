"""kit.pipeline.cache: the key changes with every input of a variant, and with nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kit.engine import ImageInfo
from kit.inputs.app import load_app
from kit.pipeline import cache
from kit.pipeline.cache import code_digest, context_digest, step_key, variant_key


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
    # experiment.toml is not sent either, so each test below sees only the input it changes.
    (tmp_path / ".dockerignore").write_text("# not sent\nnotes\n**/Dockerfile.*\nexperiment.toml\n")
    return tmp_path


ENGINE = Bases({"kitbase/busybox:1": "sha256:bb", "kitbase/debian:12": "sha256:deb"})


def keys(
    app_dir: Path, engine: Any = ENGINE, profile: str = "local", **parameters: Any
) -> dict[str, str]:
    app = load_app(app_dir)
    return {
        v.name: variant_key(
            engine,
            app,
            v.for_profile(profile),
            profile,
            kit_version="0.1.0",
            parameters=parameters or {"trials": 3},
        )
        for v in app.variants
    }


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    assert set(before) == set(after)
    return {v for v in before if before[v] != after[v]}


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


def test_base_image_id_is_an_input_of_the_variants_built_on_it(app_dir: Path) -> None:
    before = keys(app_dir)
    rebuilt = Bases({**ENGINE.known, "kitbase/debian:12": "sha256:newer"})
    assert changed(before, keys(app_dir, rebuilt)) == {"b"}


def test_parameters_are_an_input_of_every_variant(app_dir: Path) -> None:
    before = keys(app_dir)
    assert changed(before, keys(app_dir, trials=5)) == {"a", "b"}
    assert changed(before, keys(app_dir, trials=3, warmups=1)) == {"a", "b"}
    assert keys(app_dir, trials=3) == before


def test_build_args_are_an_input_of_their_variant(app_dir: Path) -> None:
    before = keys(app_dir)
    (app_dir / "experiment.toml").write_text(
        '[variants.b]\nargs = { BASE = "kitbase/busybox:1" }\n'
    )
    assert changed(before, keys(app_dir)) == {"b"}
    # A profile's args reach every variant, even one that declares no ARG.
    (app_dir / "experiment.toml").write_text('[profiles.local.args]\nEXTRA = "1"\n')
    assert changed(before, keys(app_dir)) == {"a", "b"}


def test_profile_is_an_input_of_every_variant(app_dir: Path) -> None:
    # No profile changes a base here, so only the profile's own name tells the keys apart.
    assert changed(keys(app_dir), keys(app_dir, profile="hub")) == {"a", "b"}


def test_probe_is_an_input_of_every_variant(app_dir: Path) -> None:
    before = keys(app_dir)
    (app_dir / "experiment.toml").write_text('[probe]\nkind = "log"\npattern = "ready"\n')
    after = keys(app_dir)
    assert changed(before, after) == {"a", "b"}
    (app_dir / "experiment.toml").write_text('[probe]\nkind = "log"\npattern = "up"\n')
    assert changed(after, keys(app_dir)) == {"a", "b"}


def test_a_variants_profile_override_is_its_dockerfile_there(app_dir: Path) -> None:
    (app_dir / "hub").mkdir()
    override = app_dir / "hub" / "Dockerfile.a"
    override.write_text("FROM kitbase/busybox:1\nCOPY app.sh /hub\n")
    (app_dir / "experiment.toml").write_text(
        '[variants.a.profiles.hub]\ndockerfile = "hub/Dockerfile.a"\n'
    )
    hub, local = keys(app_dir, profile="hub"), keys(app_dir)
    override.write_text("FROM kitbase/busybox:1\nCOPY app.sh /hub2\n")
    assert changed(hub, keys(app_dir, profile="hub")) == {"a"}
    # Under local the override is not built (and, ignored, not sent): nothing changes.
    assert keys(app_dir) == local


def test_the_kits_measuring_code_is_an_input_of_every_variant(
    app_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = keys(app_dir)
    monkeypatch.setattr(cache, "code_digest", lambda: "another version of kit/measure")
    assert changed(before, keys(app_dir)) == {"a", "b"}


@pytest.fixture
def kit_copy(tmp_path: Path) -> Path:
    """A copy of the kit's source, for edits the real package must never see."""
    import shutil

    copy = tmp_path / "kit"
    shutil.copytree(cache.KIT_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_code_digest_follows_every_measuring_module(kit_copy: Path) -> None:
    original = code_digest(kit_copy)
    assert original == code_digest(cache.KIT_ROOT)  # paths relative to the package, bytes
    for module in (
        "measure/size.py",
        "measure/anatomy/gzipsize.py",
        "pipeline/variant.py",
        "engine/containers.py",
        "inputs/dockerfile.py",
        "util/stats.py",
        "model/rows.py",
        "config.py",
    ):
        path = kit_copy / module
        text = path.read_text()
        path.write_text(text + "\n# edited\n")
        code_digest.cache_clear()
        assert code_digest(kit_copy) != original, module
        path.write_text(text)
    (kit_copy / "measure" / "new_quantity.py").write_text("X = 1\n")
    code_digest.cache_clear()
    assert code_digest(kit_copy) != original


def test_code_digest_ignores_the_layers_above_the_pipeline(kit_copy: Path) -> None:
    original = code_digest(kit_copy)
    for module in ("views/images/text.py", "runs/report.py", "cli/main.py", "bench/start.py"):
        path = kit_copy / module
        path.write_text(path.read_text() + "\n# edited\n")
    code_digest.cache_clear()
    assert code_digest(kit_copy) == original


def test_a_missing_base_gives_a_key_of_its_own(app_dir: Path) -> None:
    assert keys(app_dir, Bases({}))["a"] != keys(app_dir)["a"]


def test_step_key_depends_on_every_variant_and_input() -> None:
    one = step_key({"a": "1", "b": "2"}, probe="Probe()")
    assert one == step_key({"b": "2", "a": "1"}, probe="Probe()")
    assert one != step_key({"a": "1", "b": "3"}, probe="Probe()")
    assert one != step_key({"a": "1", "b": "2"}, probe="Probe(kind='http')")


def test_the_key_covers_what_the_variant_reads_not_its_siblings_files(tmp_path: Path) -> None:
    """No .dockerignore: every Dockerfile is sent to the engine, but only a variant that
    copies the whole context reads its siblings' Dockerfiles."""
    (tmp_path / "Dockerfile.a").write_text("FROM kitbase/busybox:1\nCOPY app.sh /\n")
    (tmp_path / "Dockerfile.b").write_text("FROM kitbase/busybox:1\nCOPY . /\n")
    (tmp_path / "Dockerfile.c").write_text("FROM kitbase/busybox:1\nCOPY conf/ /conf/\n")
    (tmp_path / "app.sh").write_text("echo hi\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "c.ini").write_text("x=1\n")
    before = keys(tmp_path)
    (tmp_path / "Dockerfile.c").write_text("FROM kitbase/busybox:1\nCOPY conf /conf\n")
    # c's own bytes changed; b copies every Dockerfile into its image; a reads neither.
    assert changed(before, after := keys(tmp_path)) == {"b", "c"}
    (tmp_path / "conf" / "c.ini").write_text("x=2\n")
    assert changed(after, again := keys(tmp_path)) == {"b", "c"}
    (tmp_path / "app.sh").write_text("echo changed\n")
    assert changed(again, keys(tmp_path)) == {"a", "b"}


def test_buildkit_keys_follow_the_dockerfiles_own_ignore_file(app_dir: Path) -> None:
    """BuildKit applies ``Dockerfile.b.dockerignore`` instead of the context's ``.dockerignore``
    (Docker's build docs: it takes precedence); the classic builder never reads it."""
    (app_dir / "Dockerfile.b.dockerignore").write_text("**/Dockerfile.*\nexperiment.toml\n")

    def key(builder: str) -> str:
        app = load_app(app_dir)
        (b,) = (v for v in app.variants if v.name == "b")
        return variant_key(
            ENGINE, app, b, "local", kit_version="0.1.0", parameters={}, builder=builder
        )

    buildkit, classic = key("buildkit"), key("classic")
    (app_dir / "notes" / "draft.md").write_text("sent by BuildKit now: its own file keeps notes")
    assert key("buildkit") != buildkit
    assert key("classic") == classic
    assert "notes/draft.md" not in cache.context_files(app_dir, "Dockerfile.b")
    assert "notes/draft.md" in cache.context_files(app_dir, "Dockerfile.b", "buildkit")
