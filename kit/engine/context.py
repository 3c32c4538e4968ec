"""The build context as the engine receives it: which files the SDK sends, ``.dockerignore``
applied exactly as docker-py applies it when it packs the context."""

from __future__ import annotations

from pathlib import Path

from docker.utils.build import exclude_paths


def dockerignore(directory: Path) -> list[str]:
    path = directory / ".dockerignore"
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(errors="replace").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def context_files(directory: Path, dockerfile: str) -> list[str]:
    """Paths (relative, sorted) of what a build of ``dockerfile`` in ``directory`` sends.

    Raises ``OSError`` when the folder cannot be read."""
    return sorted(exclude_paths(str(directory), dockerignore(directory), dockerfile))
