"""What an experiment measures, and how much: the options of :func:`kit.run_experiment`."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from kit import measurements
from kit.errors import UsageError
from kit.inputs import builders

_REGISTERED = {o.name: o for o in measurements.options()}


def _kind(option: measurements.Option) -> str:
    return "true or false" if isinstance(option.default, bool) else "a number ≥ 0"


@dataclass(frozen=True)
class Options:
    """Every choice of an experiment run; the defaults are the notebooks' 01 defaults.

    ``distribution``, ``rebuild``: trials of push/pull through a registry (the local one, or the
    one at ``registry``, a URL) and of a rebuild after a source edit; 0 skips them.
    ``fresh_host`` runs the ``distribution`` trials on an empty extra engine too (pull, then
    start to ready: the deploy time), and with ``capacity`` fills it with every variant.
    ``contents`` lists every file and package of each image (the ``files`` and ``packages``
    tables, what ``kit diff`` compares): one more pass over the image's filesystem.
    ``force`` (None: ``KIT_FORCE``) measures again what the store could reuse. ``builder``:
    ``buildkit``, ``classic``, or ``auto`` (BuildKit where the engine supports it, else the
    classic builder with a note). ``build_timeout_s`` (None: the app's ``[build] timeout_s``)
    is how long one build may take before it is cancelled and its variant fails. The options of
    the registered measurements (:mod:`kit.measurements`, e.g. ``config``) are keywords of
    :meth:`of` too, held in ``measures``.
    """

    profile: str = "auto"
    builder: str = "auto"
    trials: int = 5
    warmups: int = 1
    variants: tuple[str, ...] = ()
    anatomy: bool = True
    contents: bool = True
    floor: bool = True
    distribution: int = 0
    rebuild: int = 0
    capacity: bool = False
    registry: str | None = None
    fresh_host: bool = False
    force: bool | None = None
    build_timeout_s: float | None = None
    #: The options of the registered measurements (:mod:`kit.measurements`) set to other than
    #: their defaults, as (name, value) in name order: ``Options.of(config=True)``.
    measures: tuple[tuple[str, bool | int], ...] = ()

    def __post_init__(self) -> None:
        if self.trials < 1 or self.warmups < 0:
            raise UsageError(
                f"trials must be ≥ 1 and warmups ≥ 0 (got {self.trials}, {self.warmups})"
            )
        if self.distribution < 0 or self.rebuild < 0:
            raise UsageError("distribution and rebuild are numbers of trials: 0 or more")
        if self.build_timeout_s is not None and not self.build_timeout_s > 0:
            raise UsageError(f"the build timeout must be > 0 s (got {self.build_timeout_s})")
        if self.fresh_host and not self.distribution:
            raise UsageError(
                "fresh_host runs the distribution trials on an empty engine: "
                "give distribution=N (--distribution N) too"
            )
        if self.fresh_host and self.registry:
            raise UsageError(
                "the fresh host pulls from the kit's own registry on 127.0.0.1: "
                "drop registry (--registry) or fresh_host (--fresh-host)"
            )
        for name, value in self.measures:
            if name not in _REGISTERED:
                raise UsageError(f"no registered measurement has an option {name!r}")
            if isinstance(value, bool) is not isinstance(_REGISTERED[name].default, bool) or (
                not isinstance(value, int) or value < 0
            ):
                raise UsageError(f"{name} takes {_kind(_REGISTERED[name])} (got {value!r})")
        if self.builder not in builders.CHOICES:
            raise UsageError(
                f"unknown builder {self.builder!r}: choose one of {', '.join(builders.CHOICES)}"
            )

    @classmethod
    def of(cls, base: Options | None = None, **changes: Any) -> Options:
        """``base`` (default: the defaults) with ``changes``; an unknown name is an error."""
        known = {f.name for f in dataclasses.fields(cls)} - {"measures"} | set(_REGISTERED)
        unknown = set(changes) - known
        if unknown:
            raise UsageError(
                f"unknown option(s) {', '.join(sorted(unknown))}; options are "
                + ", ".join(sorted(known))
            )
        if "variants" in changes:
            changes["variants"] = tuple(changes["variants"] or ())
        start = base or cls()
        chosen = dict(start.measures)
        for name in set(changes) & set(_REGISTERED):
            chosen[name] = changes.pop(name)
        measures = tuple(
            (name, value)
            for name, value in sorted(chosen.items())
            if value != _REGISTERED[name].default
        )
        return dataclasses.replace(start, **changes, measures=measures)

    def chosen(self, name: str) -> bool | int:
        """A registered measurement's option: as set, else its default."""
        return dict(self.measures).get(name, _REGISTERED[name].default)

    def enabled(self) -> tuple[measurements.Measurement, ...]:
        """The registered measurements this run takes."""
        return tuple(m for m in measurements.registered() if m.enabled(dict(self.measures)))

    def keyed(self) -> dict[str, Any]:
        """The parameters a variant's measurements depend on (part of its cache key)."""
        return {
            "trials": self.trials,
            "warmups": self.warmups,
            "anatomy": self.anatomy,
            "contents": self.contents,
            # Only those set: the keys of runs without them stay what they were.
            **{k: v for k, v in self.measures if _REGISTERED[k].keyed},
        }

    def as_json(self, force: bool) -> str:
        """The parameters as each row's envelope records them."""
        return json.dumps(
            {
                **self.keyed(),
                "floor": self.floor,
                "variants": list(self.variants),
                "force": force,
                "distribution": self.distribution,
                "rebuild": self.rebuild,
                "capacity": self.capacity,
                "registry": self.registry,
                "fresh_host": self.fresh_host,
                "builder": self.builder,
                "build_timeout_s": self.build_timeout_s,
                **dict(self.measures),
            }
        )
