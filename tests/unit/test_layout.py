"""The package's shape: few top-level modules, a docstring on every package saying what lives
there, modules of one idea (≤ 300 lines), and a pyproject that ships every package."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KIT = REPO / "kit"


def packages() -> list[Path]:
    return sorted(p.parent for p in KIT.rglob("__init__.py") if "__pycache__" not in p.parts)


def test_few_top_level_modules() -> None:
    modules = sorted(p.name for p in KIT.glob("*.py"))
    assert len(modules) <= 6, modules


def test_every_package_says_what_lives_there() -> None:
    for package in packages():
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc and len(doc) > 40, f"{package.relative_to(REPO)} has no docstring"


def test_modules_hold_one_idea() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in KIT.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 300
    }
    assert not long


def test_pyproject_ships_every_package() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.relative_to(REPO).parts) for p in packages()}
    listed = set(config["packages"])
    data = set(config["package-dir"])
    assert listed - data == found
    for package, folder in config["package-dir"].items():
        assert (REPO / folder).is_dir(), package
