"""Registered measurements: each one module of this package, holding one :class:`Measurement`
named ``MEASUREMENT`` — its option(s), the part of the cache key they make, its ``measure`` step
and the table(s) it writes. The built-in ones (``starts``, ``anatomy``, ``contents``, ``floor``,
``distribution``, ``rebuild``, ``capacity``) register their options here too; their steps are
phases of the pipeline (``step`` says which), so they have no image step of their own.
Everything else is derived from the registry: the ``kit measure`` flags, the keywords of
:func:`kit.run_experiment` (so a notebook's parameters), the cache keys of the variants and of
the payoffs, the store's tables of the image-step ones (``config``) and what
:class:`~kit.model.results.Results` holds of them.

A registered measurement reads what the pipeline hands it — for now the built image's inspect
document (``docker image inspect``) — and returns rows: pure data in, frozen rows out, so this
package sits below the model (which lists its tables) and needs no engine. Modules are found by
name (:func:`registered`), so adding one touches nothing here.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

#: What a step of "an image" gets: the app, the variant and ``docker image inspect`` of its image.
ImageStep = Callable[[str, str, Mapping[str, Any]], tuple[Any, ...]]


@dataclass(frozen=True)
class Option:
    """One option: a keyword of ``run_experiment`` and ``Options``, and a ``kit measure`` flag."""

    name: str
    default: bool | int
    help: str
    #: How it enters the cache key of its measurement's step: ``"set"`` only when not at its
    #: default (so that adding an option leaves the keys of every run that does not use it as
    #: they were), ``"always"`` (the built-in ones that were keyed from the start: their stored
    #: keys stay valid), ``"no"`` (its step has a key of its own).
    keyed: Literal["always", "set", "no"] = "set"
    #: The least value an ``int`` option takes (trials: at least one).
    minimum: int = 0
    #: The ``kit`` commands that offer its flag (``check`` measures no payoffs).
    commands: tuple[str, ...] = ("measure", "check")

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Table:
    """One table a measurement writes: its name (a store folder, ``Results.table(name)``) and
    its row class, a frozen dataclass."""

    name: str
    row: type[Any]


@dataclass(frozen=True)
class Measurement:
    """One measurement, taken when its option is on: of each variant's image (``table`` and
    ``measure`` given), or a built-in phase of the pipeline (``step``: ``"variant"``,
    ``"floor"`` or ``"payoffs"``, the step whose cache key its options enter)."""

    name: str
    options: tuple[Option, ...]
    table: Table | None = None
    measure: ImageStep | None = None
    step: Literal["variant", "floor", "payoffs"] = "variant"

    def enabled(self, chosen: Mapping[str, object]) -> bool:
        """On when any of its options is set to other than its default."""
        return any(chosen.get(o.name, o.default) != o.default for o in self.options)


@functools.cache
def registered() -> tuple[Measurement, ...]:
    """Every module of this package that holds a ``MEASUREMENT``, in name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if isinstance(made := getattr(module, "MEASUREMENT", None), Measurement):
            found.append(made)
    return tuple(found)


def options() -> tuple[Option, ...]:
    return tuple(o for m in registered() for o in m.options)


def of_image() -> tuple[Measurement, ...]:
    """The measurements with an image step of their own (``config``): the pipeline runs their
    ``measure``, the store and ``Results`` hold their table."""
    return tuple(m for m in registered() if m.measure is not None)


def tables() -> tuple[Table, ...]:
    """The tables of the image-step measurements (the built-in ones are ``kit.model.tables``)."""
    return tuple(m.table for m in of_image() if m.table is not None)
