"""The fault-injection suite: one test per fault, each through the four checks of
:mod:`fourway`. Engine-marked; faults that kill or starve an engine use a throwaway second
dockerd (:mod:`throwaway_engine`), never the engine the rest of the suite uses.

The fixture apps under ``apps/`` build on ``kitbase/busybox:1``; their images are tagged
``kitexp/flt-*`` and removed after each test. Every test starts from a store that already holds
a real run (measured once per session, copied into the test's own store).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fourway import FourWay
from prereq import unavailable

from kit.engine import Engine
from kit.model.results import Results
from kit.pipeline.experiment import run_experiment

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
TEST_REPO = "kitexp/flt-"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.engine)


def app_dir(name: str) -> Path:
    path = APPS / name
    assert path.is_dir(), f"no fixture app {name}"
    return path


def measure_on(engine: Engine, app: str | Path, **kwargs: object) -> Results:
    """``run_experiment`` with the suite's small settings (one warm-up, one trial, no floor)."""
    options: dict[str, object] = {"trials": 1, "warmups": 0, "floor": False, "progress": False}
    return run_experiment(
        app if isinstance(app, Path) else app_dir(app),
        profile="local",
        engine=engine,
        **{**options, **kwargs},  # type: ignore[arg-type]
    )


def remove_test_images(engine: Engine) -> None:
    for img in engine.api.images():
        for tag in img.get("RepoTags") or []:
            if tag.startswith(TEST_REPO):
                engine.images.remove(tag, force=True)


@pytest.fixture(autouse=True)
def _remove_fault_images(engine: Engine, busybox: str) -> Iterator[None]:
    yield
    remove_test_images(engine)


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kit's temp dirs go to this test's own folder (this process and its children), so
    the leak check sees only this test's: other kit processes share /tmp on this machine."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture(scope="session")
def earlier_store(engine: Engine, busybox: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one real run of ``flt-base``, measured once for the session."""
    root = tmp_path_factory.mktemp("earlier") / "store"
    measure_on(engine, "flt-base", store=root)
    remove_test_images(engine)
    return root


@pytest.fixture()
def store(earlier_store: Path, tmp_path: Path) -> Path:
    """This test's own store, holding the earlier run."""
    target = tmp_path / "store"
    shutil.copytree(earlier_store, target)
    return target


@pytest.fixture()
def fourway(engine: Engine, store: Path) -> FourWay:
    checker = FourWay(engine, store)
    checker.before()
    return checker


@pytest.fixture()
def root_only() -> None:
    if os.geteuid() != 0:
        unavailable("this fault needs root (a tmpfs, a second dockerd)")


@pytest.fixture()
def tmpfs(tmp_path: Path, root_only: None) -> Iterator[Callable[[Path, str], Path]]:
    """``mount(folder, size)``: a tmpfs of that size on ``folder``, unmounted afterwards."""
    mounted: list[Path] = []

    def mount(folder: Path, size: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True
        )
        mounted.append(folder)
        return folder

    try:
        yield mount
    finally:
        for folder in reversed(mounted):
            subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave_bytes: int) -> Path:
    """Fill the filesystem under ``folder`` until ``leave_bytes`` are free; the filler's path."""
    filler = folder / "filler"
    free = shutil.disk_usage(folder).free
    with filler.open("wb") as out:
        out.write(b"\0" * max(free - leave_bytes, 0))
    return filler
