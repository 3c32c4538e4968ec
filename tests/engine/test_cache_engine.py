"""The cache on a real engine: builds are counted, not timed."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from kit.engine import Engine
from kit.engine.context import context_files
from kit.inputs import reads
from kit.inputs.dockerfile import Dockerfile
from kit.model.results import Results
from kit.model.store import Store
from kit.pipeline import cache, floor
from kit.pipeline.experiment import run_experiment


@pytest.fixture()
def builds(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tag of every build the engine is asked for, in order."""
    seen: list[str] = []
    real = engine.builds.build

    def counted(*args: Any, **kwargs: Any) -> Any:
        seen.append(str(kwargs["tag"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.builds, "build", counted)
    return seen


def test_rerun_builds_nothing_and_an_edit_rebuilds_exactly_that_variant(
    engine: Engine,
    builds: list[str],
    check: Any,
    no_leaks: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = tmp_path / "eng-good"
    shutil.copytree(check.app_dir("eng-good"), app)
    # As in the bundled apps: the variants' definitions are not part of each other's context.
    (app / ".dockerignore").write_text("Dockerfile.*\nexperiment.toml\n")
    store = Store(tmp_path / "store")

    traces: list[str] = []
    real_floor = floor.measure_floor

    def traced(*args: Any, **kwargs: Any) -> Any:
        traces.append(str(args[1]))  # the traced image
        return real_floor(*args, **kwargs)

    monkeypatch.setattr(floor, "measure_floor", traced)

    def measure(app: Path, **kwargs: Any) -> Results:
        return run_experiment(
            app, profile="local", trials=2, warmups=1, engine=engine, progress=False, **kwargs
        )

    first = measure(app, store=store)
    assert {r.variant for r in first.ok} == {"tiny", "layered"} and not first.reused
    assert len(builds) == 4  # cold + warm per variant
    builds.clear()

    again = measure(app, store=store)
    assert builds == []
    assert {r.variant for r in again.reused} == {"tiny", "layered"}
    for old, new in zip(first.image_rows, again.image_rows, strict=True):
        assert new.cached_from == first.run.run_id and new.size_bytes == old.size_bytes
        assert new.start_median_s == old.start_median_s  # the same samples, not new ones
    assert len(again.trial_rows) == len(first.trial_rows)
    # The floor was traced once; the rerun reuses it (same inputs, same floor).
    assert first.floor_rows and again.floor_rows == first.floor_rows
    assert [r.x_floor for r in again.image_rows] == [r.x_floor for r in first.image_rows]
    assert len(traces) == 1

    dockerfile = app / "Dockerfile.layered"
    dockerfile.write_text(dockerfile.read_text().replace("echo hello", "echo hello again"))
    edited = measure(app, store=store)
    assert builds == ["kitexp/eng-good:layered-local"] * 2
    assert {r.variant for r in edited.reused} == {"tiny"}
    builds.clear()

    forced = measure(app, store=store, force=True)
    assert len(builds) == 4 and not forced.reused
    # Every run is in the store, reused rows included, each with the run that measured it.
    images = store.table("images")
    assert len(set(images["run_id"])) == 4
    assert set(images["cached_from"].dropna()) == {first.run.run_id}
    builds.clear()

    # The builder is part of the key: the other builder measures every variant anew.
    other = "classic" if first.run.builder == "buildkit" else "buildkit"
    switched = measure(app, store=store, builder=other)
    assert switched.run.builder == other and not switched.reused
    assert len(builds) == 4


def test_a_change_to_the_kits_code_remeasures_every_variant(
    engine: Engine,
    builds: list[str],
    check: Any,
    no_leaks: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The store holds rows measured by this very code; a simulated edit of a measurement
    module (another code digest) must measure every variant again, the floor included."""
    app = tmp_path / "eng-good"
    shutil.copytree(check.app_dir("eng-good"), app)
    store = Store(tmp_path / "store")

    def measure() -> Results:
        return run_experiment(
            app, store=store, profile="local", trials=1, warmups=0, engine=engine, progress=False
        )

    first = measure()
    assert not first.reused and len(builds) == 4
    assert len(measure().reused) == 2  # unchanged code: reused
    builds.clear()
    monkeypatch.setattr(cache, "code_digest", lambda: "kit/measure/size.py was edited")
    edited = measure()
    assert not edited.reused and len(builds) == 4
    keys = {r.variant: r.cache_key for r in first.image_rows}
    assert all(r.cache_key != keys[r.variant] for r in edited.image_rows)
    assert edited.floor_rows and all(r.cached_from is None for r in edited.image_rows)


# Patterns where docker-py's reading and the engine's could part: negation after a wildcard,
# a folder with an exception inside, `**`, a leading slash, a one-level `*`, the Dockerfile and
# .dockerignore themselves (sent by docker-py, dropped by the engine when listed).
DOCKERIGNORE = """\
# comments and blank lines are not patterns

*.log
!keep.log
build/
**/*.tmp
docs/**
!docs/README.md
/top-only.txt
sub/*/deep.txt
Dockerfile.*
.dockerignore
"""
FILES = (
    "a.txt",
    "x.log",
    "keep.log",
    "build/out.bin",
    "src/code.py",
    "src/mod.tmp",
    "src/deeper/mod.tmp",
    "docs/guide.md",
    "docs/README.md",
    "top-only.txt",
    "lib/top-only.txt",
    "sub/one/deep.txt",
    "sub/one/other.txt",
    "sub/one/two/deep.txt",
    "nested/.hidden",
    "space name.txt",
)


def test_the_context_in_the_key_is_the_context_the_engine_receives(
    engine: Engine, busybox: str, tmp_path: Path, no_leaks: None
) -> None:
    """What the cache key hashes (``context_files``) against what a build really copied in:
    ``COPY . /ctx/`` and the engine's own archive of /ctx."""
    context = tmp_path / "ctx"
    for rel in FILES:
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        (context / rel).write_text(rel)
    (context / "empty-dir").mkdir()
    (context / ".dockerignore").write_text(DOCKERIGNORE)
    (context / "Dockerfile.ctx").write_text(f"FROM {busybox}\nCOPY . /ctx/\n")
    tag = "kitexp/eng-context:ctx-local"
    built = engine.builds.build(
        str(context), "Dockerfile.ctx", tag=tag, buildargs={}, labels={}, nocache=True
    )
    assert built.image_id, built.log_tail
    container = engine.api.create_container(tag, command=["true"], network_disabled=True)["Id"]
    try:
        stream, _ = engine.api.get_archive(container, "/ctx")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            received = {
                m.name.removeprefix("ctx/") for m in archive.getmembers() if m.name != "ctx"
            }
    finally:
        engine.api.remove_container(container, force=True)
    keyed = set(context_files(context, "Dockerfile.ctx"))
    # `COPY . /ctx/` reads the whole context: the key's part of it is all of it.
    wanted = reads.patterns(Dockerfile.read(context / "Dockerfile.ctx"))
    assert reads.select(context, sorted(keyed), wanted) == sorted(keyed)
    # What the engine drops of what it is sent: the Dockerfile and .dockerignore, listed there.
    assert keyed - received == {"Dockerfile.ctx", ".dockerignore"}
    assert received - keyed == set()
    # And the expectation worked out by hand from the patterns above:
    files = {p for p in received if (context / p).is_file()}
    assert files == {
        "a.txt",
        "keep.log",
        "src/code.py",
        "docs/README.md",
        "lib/top-only.txt",
        "sub/one/other.txt",
        "sub/one/two/deep.txt",
        "nested/.hidden",
        "space name.txt",
    }


def test_an_edit_re_measures_only_the_variants_that_read_it(
    engine: Engine, builds: list[str], check: Any, no_leaks: None, tmp_path: Path
) -> None:
    """No .dockerignore, so every Dockerfile is sent with every build: an edit of one
    variant's Dockerfile rebuilds that variant alone (and one that copies the whole context);
    an edit of a file one variant copies rebuilds that one, not one that does not copy it."""
    app = tmp_path / "eng-good"
    shutil.copytree(check.app_dir("eng-good"), app)
    (app / "app.txt").write_text("one\n")
    (app / "Dockerfile.copier").write_text(
        'FROM kitbase/busybox:1\nCOPY app.txt /app.txt\nCMD ["cat", "/app.txt"]\n'
    )
    (app / "Dockerfile.whole").write_text('FROM kitbase/busybox:1\nCOPY . /ctx/\nCMD ["true"]\n')
    store = Store(tmp_path / "store")

    def measure() -> Results:
        return run_experiment(
            app,
            store=store,
            profile="local",
            trials=1,
            warmups=0,
            floor=False,
            engine=engine,
            progress=False,
        )

    def rebuilt() -> set[str]:
        done = {tag.split(":")[1].removesuffix("-local") for tag in builds}
        builds.clear()
        return done

    first = measure()
    assert not first.failed and not first.reused
    assert rebuilt() == {"tiny", "layered", "copier", "whole"}

    dockerfile = app / "Dockerfile.layered"
    dockerfile.write_text(dockerfile.read_text().replace("echo hello", "echo hello again"))
    edited = measure()
    # `COPY . /ctx/` copies Dockerfile.layered into its image: it rightly is measured again.
    assert rebuilt() == {"layered", "whole"}
    assert {r.variant for r in edited.reused} == {"tiny", "copier"}

    (app / "app.txt").write_text("two\n")
    copied = measure()
    assert rebuilt() == {"copier", "whole"}
    assert {r.variant for r in copied.reused} == {"tiny", "layered"}
    # The image really holds the edit: the rebuilt row is of a new image.
    ids = {r.variant: r.image_id for r in first.image_rows}
    assert next(r for r in copied.image_rows if r.variant == "copier").image_id != ids["copier"]
