"""A batch matrix: which notebooks ``kit batch`` runs, with which parameters.

The matrix is a YAML file::

    run_id: nightly           # optional: the default run id (``kit batch --run-id`` wins)
    timeout_s: 3600           # optional: per notebook cell execution timeout (default 3600)
    parameters:               # optional: applied to every notebook below
      profile: local
    notebooks:
      - notebook: 01_base_images.ipynb    # relative to this file
        parameters:
          trials: [3, 5]                  # a list: one matrix cell per value
        timeout_s: 7200                   # optional: overrides the top-level one
      - 02_layers.ipynb                   # short form: a notebook with no parameters of its own

Each notebook entry expands to the cartesian product of its parameter values (top-level ones
merged under its own), so the example makes three cells: ``01_base_images`` with trials 3 and 5,
and ``02_layers``, each with ``profile=local``. A parameter whose default is itself a list takes
a list of lists. Every parameter must be declared in the notebook's ``parameters`` cell and fit
its default's type (an int fits a float); unknown keys, missing notebooks and duplicate cells are
errors too. All problems are reported together, each with its file and line, before anything runs.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kit.errors import BatchError
from kit.runs.yamlnodes import Reader, line_of

DEFAULT_TIMEOUT_S = 3600
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TOP_KEYS = ("run_id", "timeout_s", "parameters", "notebooks")
_ENTRY_KEYS = ("notebook", "parameters", "timeout_s")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")  # in a value; "," and "=" join the slug
_MAX_SLUG = 120

Parameters = tuple[tuple[str, object], ...]


class MatrixError(BatchError):
    """A batch matrix that cannot run: every problem found, each with its file and line."""

    def __init__(self, problems: tuple[str, ...], *, file: Path) -> None:
        super().__init__(
            f"{len(problems)} problem(s) in the batch matrix:\n  " + "\n  ".join(problems),
            file=file,
            hint="nothing was run; fix the matrix and run it again",
        )
        self.problems = problems


@dataclass(frozen=True)
class Cell:
    """One notebook run: a notebook and one value for each parameter the matrix sets."""

    notebook: Path  # absolute
    parameters: Parameters  # sorted by name
    timeout_s: int
    declared: frozenset[str]  # what the notebook's parameters cell declares
    line: int  # where the matrix names it

    @property
    def name(self) -> str:
        """``<stem>-<slug>``: the output file's stem, safe, deterministic and readable."""
        if not self.parameters:
            return self.notebook.stem
        texts = [_text(v) for _, v in self.parameters]
        safe = [_UNSAFE.sub("_", t) for t in texts]
        slug = ",".join(f"{k}={v}" for (k, _), v in zip(self.parameters, safe, strict=True))
        # A changed or cut slug could collide with another cell's, so it gets a digest of the
        # exact parameters.
        if safe != texts or len(slug) > _MAX_SLUG:
            digest = hashlib.sha256(_canonical(self.parameters).encode()).hexdigest()[:8]
            slug = f"{slug[:_MAX_SLUG]}~{digest}"
        return f"{self.notebook.stem}-{slug}"


@dataclass(frozen=True)
class Matrix:
    path: Path
    run_id: str | None
    cells: tuple[Cell, ...]


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _canonical(parameters: Parameters) -> str:
    return json.dumps([[k, v] for k, v in parameters], sort_keys=True)


def _timeout(reader: Reader, node: yaml.Node) -> int:
    # A bad timeout is reported; the default stands in so the rest of the matrix is still checked.
    value = reader.value(node)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        reader.problem(node, f"timeout_s must be a positive whole number of seconds: {value!r}")
        return DEFAULT_TIMEOUT_S
    return value


_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


def _allows(default_src: str, annotation: str) -> tuple[tuple[type, ...] | None, bool]:
    """The types a value may take (None: any), and whether it may be None: from the parameter's
    annotation when it names plain types (``int``, ``float | None``), else from its default."""
    names = [n.strip() for n in re.split(r"[|\[\],]", annotation) if n.strip()]
    kinds = tuple(_TYPES[n] for n in names if n in _TYPES)
    none_ok = "None" in names or "Optional" in names
    if not kinds or not all(n in _TYPES or n in ("None", "Optional") for n in names):
        try:
            default = ast.literal_eval(default_src)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None, True  # an expression: its type is not known before it runs
        if default is None:
            return None, True
        # YAML has no tuples.
        kinds, none_ok = (list if isinstance(default, tuple) else type(default),), False
    return ((*kinds, int) if float in kinds else kinds), none_ok


def _fits(value: object, kinds: tuple[type, ...] | None, none_ok: bool) -> bool:
    if value is None or kinds is None:
        return none_ok or value is not None
    return bool in kinds if isinstance(value, bool) else isinstance(value, kinds)


def _inspect(reader: Reader, node: yaml.Node, path: Path) -> dict[str, dict[str, Any]] | None:
    import papermill

    if path.suffix != ".ipynb" or not path.is_file():
        reader.problem(node, f"no such notebook: {path}")
        return None
    chatty = logging.getLogger("papermill")
    level = chatty.level
    chatty.setLevel(logging.WARNING)  # it logs "Input Notebook" for a mere look
    try:
        found: dict[str, dict[str, Any]] = papermill.inspect_notebook(str(path))
    except Exception as exc:  # papermill raises whatever nbformat or its parser raise
        reader.problem(node, f"cannot read the notebook {path.name}: {exc}")
        return None
    finally:
        chatty.setLevel(level)
    return found


def _choices(
    reader: Reader,
    notebook: Path,
    declared: dict[str, dict[str, Any]],
    given: dict[str, tuple[yaml.Node, yaml.Node]],
) -> list[tuple[str, list[object]]]:
    """Each parameter's values (a list: several); each checked against the notebook's default."""
    choices = []
    for name, (key_node, value_node) in sorted(given.items()):
        if name not in declared:
            known = ", ".join(declared) or "none: no cell is tagged `parameters`"
            reader.problem(key_node, f"{notebook.name} has no parameter {name!r} (known: {known})")
            continue
        spec = declared[name]
        kinds, none_ok = _allows(str(spec["default"]), str(spec["inferred_type_name"]))
        sweep = isinstance(value_node, yaml.SequenceNode)
        nodes = value_node.value if sweep else [value_node]
        if sweep and not nodes:
            reader.problem(value_node, f"{name}: an empty list gives no value to run with")
            continue
        values = []
        for item in nodes:
            value = reader.value(item)
            if not _fits(value, kinds, none_ok):
                want = " or ".join(k.__name__ for k in kinds or ())
                reader.problem(
                    item,
                    f"{name}: {value!r} does not fit {notebook.name}'s default "
                    f"{spec['default']} ({want})",
                )
            values.append(value)
        choices.append((name, values))
    return choices


def _entry(
    reader: Reader,
    node: yaml.Node,
    common: dict[str, tuple[yaml.Node, yaml.Node]],
    timeout_s: int,
) -> list[Cell]:
    if isinstance(node, yaml.ScalarNode):
        source, own = node, {}
    else:
        fields = reader.mapping(node, "a notebooks entry", _ENTRY_KEYS)
        if "notebook" not in fields:
            if isinstance(node, yaml.MappingNode):
                reader.problem(node, "a notebooks entry needs `notebook: <file>.ipynb`")
            return []
        source = fields["notebook"][1]
        own = (
            reader.mapping(fields["parameters"][1], "parameters", None)
            if ("parameters" in fields)
            else {}
        )
        if "timeout_s" in fields:
            timeout_s = _timeout(reader, fields["timeout_s"][1])
    name = reader.value(source)
    if not isinstance(name, str) or not name:
        reader.problem(source, f"notebook must be a file name: {name!r}")
        return []
    path = (reader.path.parent / name).resolve()
    declared = _inspect(reader, source, path)
    if declared is None:
        return []
    before = reader.count
    choices = _choices(reader, path, declared, {**common, **own})
    if reader.count > before:
        return []  # cells made without the bad parameters would only add false duplicates
    names, values = [n for n, _ in choices], [v for _, v in choices]
    return [
        Cell(
            path,
            tuple(zip(names, combo, strict=True)),
            timeout_s,
            frozenset(declared),
            line_of(node),
        )
        for combo in itertools.product(*values)
    ]


def load_matrix(path: str | Path) -> Matrix:
    """Read and check a matrix; raise :class:`MatrixError` listing every problem found."""
    source = Path(path).resolve()
    reader = Reader(source)
    root = reader.compose()
    if root is None and not reader.problems:
        reader.problem(1, "the matrix is empty")
    top = reader.mapping(root, "the matrix", _TOP_KEYS) if root is not None else {}
    run_id = None
    if "run_id" in top:
        value = reader.value(top["run_id"][1])
        if isinstance(value, str) and RUN_ID.fullmatch(value):
            run_id = value
        else:
            reader.problem(top["run_id"][1], f"run_id must match {RUN_ID.pattern}: {value!r}")
    timeout_s = _timeout(reader, top["timeout_s"][1]) if "timeout_s" in top else DEFAULT_TIMEOUT_S
    common = reader.mapping(top["parameters"][1], "parameters", None) if "parameters" in top else {}
    entries = top["notebooks"][1] if "notebooks" in top else None
    cells: list[Cell] = []
    if isinstance(entries, yaml.SequenceNode) and entries.value:
        for node in entries.value:
            cells.extend(_entry(reader, node, common, timeout_s))
    elif isinstance(root, yaml.MappingNode):
        reader.problem(entries or root, "the matrix needs `notebooks:`, a non-empty list")
    seen: dict[str, Cell] = {}
    for cell in cells:
        if cell.name in seen:
            first = seen[cell.name]
            reader.problem(cell.line, f"{cell.name} is already a cell (line {first.line})")
        seen.setdefault(cell.name, cell)
    if reader.problems:
        raise MatrixError(reader.problems, file=source)
    return Matrix(source, run_id, tuple(seen.values()))
