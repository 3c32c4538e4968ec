"""What an experiment measures, and how much: the options of :func:`kit.run_experiment`.

The options of the measurements (``trials``, ``anatomy``, ``distribution``, ``config`` …) are
declared once, each in its registered measurement (:mod:`kit.measurements`): their defaults,
checks, cache-key parts and the envelope's record come from there. The built-in ones are also
typed fields of :class:`Options` (``options.trials``), read by the pipeline's phases; the others
are held in ``measures``.
"""

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
    if isinstance(option.default, bool):
        return "true or false"
    return f"a number ≥ {option.minimum}"


def _int(name: str) -> int:
    return int(_REGISTERED[name].default)


def _bool(name: str) -> bool:
    return bool(_REGISTERED[name].default)


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
    the registered measurements without a field here (:mod:`kit.measurements`, e.g.
    ``config``) are keywords of :meth:`of` too, held in ``measures``.
    """

    profile: str = "auto"
    builder: str = "auto"
    # The built-in measurements' options: declared (default, help, key) in kit.measurements.
    trials: int = _int("trials")
    warmups: int = _int("warmups")
    variants: tuple[str, ...] = ()
    anatomy: bool = _bool("anatomy")
    contents: bool = _bool("contents")
    floor: bool = _bool("floor")
    distribution: int = _int("distribution")
    rebuild: int = _int("rebuild")
    capacity: bool = _bool("capacity")
    registry: str | None = None
    fresh_host: bool = _bool("fresh_host")
    force: bool | None = None
    build_timeout_s: float | None = None
    #: The options of the other registered measurements (:mod:`kit.measurements`) set to other
    #: than their defaults, as (name, value) in name order: ``Options.of(config=True)``.
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
        for name, _ in self.measures:
            if name not in _REGISTERED or name in _FIELDS:
                raise UsageError(f"no registered measurement has an option {name!r}")
        for name, value in self._values().items():
            option = _REGISTERED[name]
            if isinstance(value, bool) is not isinstance(option.default, bool) or (
                not isinstance(value, int) or value < option.minimum
            ):
                raise UsageError(f"{name} takes {_kind(option)} (got {value!r})")
        if self.builder not in builders.CHOICES:
            raise UsageError(
                f"unknown builder {self.builder!r}: choose one of {', '.join(builders.CHOICES)}"
            )

    @classmethod
    def of(cls, base: Options | None = None, **changes: Any) -> Options:
        """``base`` (default: the defaults) with ``changes``; an unknown name is an error."""
        known = _FIELDS | set(_REGISTERED)
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
        for name in set(changes) & (set(_REGISTERED) - _FIELDS):
            chosen[name] = changes.pop(name)
        measures = tuple(
            (name, value)
            for name, value in sorted(chosen.items())
            if value != _REGISTERED[name].default
        )
        return dataclasses.replace(start, **changes, measures=measures)

    def _values(self) -> dict[str, bool | int]:
        """Every registered option's value in this run."""
        return {name: self.chosen(name) for name in _REGISTERED}

    def chosen(self, name: str) -> bool | int:
        """A registered measurement's option: as set, else its default."""
        if name in _FIELDS:
            return getattr(self, name)  # type: ignore[no-any-return]
        return dict(self.measures).get(name, _REGISTERED[name].default)

    def enabled(self) -> tuple[measurements.Measurement, ...]:
        """The registered image-step measurements this run takes."""
        return tuple(m for m in measurements.of_image() if m.enabled(self._values()))

    def keyed(self, step: str = "variant") -> dict[str, Any]:
        """The options the measurements of ``step`` depend on (part of its cache key)."""
        parts: dict[str, Any] = {}
        for m in measurements.registered():
            for option in m.options if m.step == step else ():
                value = self.chosen(option.name)
                if option.keyed == "always" or (option.keyed == "set" and value != option.default):
                    parts[option.name] = value
        return parts

    def of_step(self, step: str) -> dict[str, Any]:
        """The built-in options of the measurements of ``step`` (the keywords its phase
        function takes: ``measure_variant``'s trials … contents, ``measure_payoffs``'
        distribution … capacity)."""
        return {
            o.name: getattr(self, o.name)
            for m in measurements.registered()
            if m.step == step
            for o in m.options
            if o.name in _FIELDS
        }

    def as_json(self, force: bool) -> str:
        """The parameters as each row's envelope records them."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        del fields["measures"]
        return json.dumps(
            {
                **fields,
                "variants": list(self.variants),
                "force": force,
                **dict(self.measures),
            }
        )


#: The fields of Options (the built-in options among them); a registered option that is a field
#: is read from it, the others from ``measures``.
_FIELDS = {f.name for f in dataclasses.fields(Options)} - {"measures"}
