"""Reading a batch matrix's YAML with line numbers, so every problem can say where it is.

:mod:`kit.runs.matrix` walks the composed node tree rather than plain Python values: only nodes know
their lines, and a matrix reports all of its problems at once, each with its file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class Reader:
    """Walks the composed YAML, keeping each node's line for the problems it finds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._found: list[tuple[int, str]] = []
        self._loader: Any = None

    def problem(self, node: yaml.Node | int, message: str) -> None:
        line = node if isinstance(node, int) else line_of(node)
        self._found.append((line, f"{self.path}:{line}: {message}"))

    @property
    def count(self) -> int:
        return len(self._found)

    @property
    def problems(self) -> tuple[str, ...]:
        """In the file's order, each once (a top-level parameter is checked per notebook)."""
        return tuple(dict.fromkeys(m for _, m in sorted(self._found, key=lambda f: f[0])))

    def compose(self) -> yaml.Node | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            self.problem(1, f"cannot read the matrix: {exc.strerror}")
            return None
        self._loader = yaml.SafeLoader(text)
        try:
            node: yaml.Node | None = self._loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            self.problem(line, f"malformed YAML: {getattr(exc, 'problem', None) or exc}")
            return None
        return node

    def value(self, node: yaml.Node) -> object:
        try:
            return self._loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problem(node, f"malformed YAML value: {exc}")
            return None

    def mapping(self, node: yaml.Node, what: str, keys: tuple[str, ...] | None) -> dict[str, Any]:
        """``{key: (key node, value node)}``; duplicate and (when ``keys``) unknown keys are
        problems."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping")
            return {}
        found: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                self.problem(key_node, f"{what}: key {key!r} is not a name")
            elif key in found:
                self.problem(key_node, f"{what}: {key!r} is given twice")
            elif keys is not None and key not in keys:
                self.problem(key_node, f"{what}: unknown key {key!r} (known: {', '.join(keys)})")
            else:
                found[key] = (key_node, value_node)
        return found
