"""The build context as the engine receives it: which files the SDK sends, ``.dockerignore``
applied exactly as docker-py applies it when it packs the context. BuildKit reads a
``<Dockerfile>.dockerignore`` beside the Dockerfile instead of the context's ``.dockerignore``
when there is one (the classic builder never does)."""

from __future__ import annotations

from pathlib import Path

from docker.utils.build import exclude_paths


def dockerignore(directory: Path, name: str = ".dockerignore") -> list[str]:
    path = directory / name
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(errors="replace").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def ignore_file(directory: Path, dockerfile: str, builder: str = "classic") -> str:
    """The ignore file a build of ``dockerfile`` by ``builder`` applies (relative name)."""
    own = f"{dockerfile}.dockerignore"
    return own if builder == "buildkit" and (directory / own).is_file() else ".dockerignore"


def context_files(directory: Path, dockerfile: str, builder: str = "classic") -> list[str]:
    """Paths (relative, sorted) of what a build of ``dockerfile`` in ``directory`` sends.

    Raises ``OSError`` when the folder cannot be read."""
    patterns = dockerignore(directory, ignore_file(directory, dockerfile, builder))
    return sorted(exclude_paths(str(directory), patterns, dockerfile))
