"""A non-editable install: ``pip install .`` into a folder of its own, then the ``kit`` command
run from elsewhere finds its notebooks, base Dockerfiles and bundled apps as package data —
nothing reaches back into this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.engine import Engine
from kit.host.bases import BASES
from kit.model.store import Store

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit installed as a wheel would be (dependencies from this venv: same versions)."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return target


def test_installed_kit_runs_from_its_package_data(
    engine: Engine, installed: Path, tmp_path: Path
) -> None:
    for spec in BASES:
        if engine.images.inspect(spec.ref) is None:
            pytest.fail(f"{spec.ref} is missing: `make test` makes the bases first")
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(installed), "KIT_STORE": str(store)}
    env.pop("KIT_DOCKERFILES", None)
    python = [sys.executable, "-m", "kit"]

    where = run(
        [
            sys.executable,
            "-c",
            "import kit.config as c; print(c.__file__); "
            "print(c.notebooks_dir()); print(c.dockerfiles_dir())",
        ],
        env,
        cwd,
    )
    module, notebooks, dockerfiles = where.stdout.split()
    assert Path(module).is_relative_to(installed), where.stdout
    assert Path(notebooks) == installed / "kit" / "_notebooks"
    assert (Path(notebooks) / "00_overview.ipynb").is_file()
    assert (Path(dockerfiles) / "bases" / "busybox-1.Dockerfile").is_file()

    # Every base's recipe, read from the installed Dockerfiles, matches the label of the image
    # the checkout built: nothing is rebuilt.
    bases = run([*python, "bases", "--quiet"], env, cwd)
    assert bases.returncode == 0, bases.stderr[-2000:]
    states = {line.split()[0]: line.split()[1] for line in bases.stdout.splitlines()}
    assert states == {spec.ref: "present" for spec in BASES}

    report = run([*python, "report", "--out", str(tmp_path / "reports"), "--quiet"], env, cwd)
    assert report.returncode == 0, report.stderr[-2000:]
    overview = (tmp_path / "reports" / "00_overview.html").read_text()
    assert "holds no runs yet" in overview

    # A bundled app named, not pathed: found in the installed package.
    measured = run(
        [
            *python,
            "measure",
            "slacktee",
            "--variant",
            "busybox",
            "--profile",
            "local",
            "--trials",
            "1",
            "--quiet",
        ],
        env,
        cwd,
    )
    assert measured.returncode == 0, measured.stderr[-3000:]
    [row] = Store(store).results(app="slacktee").image_rows
    assert row.status == "ok" and row.variant == "busybox"
    assert row.dockerfile == "Dockerfile.busybox"
