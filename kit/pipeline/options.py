"""What an experiment measures, and how much: the options of :func:`kit.run_experiment`."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from kit.errors import UsageError
from kit.spec import builders


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
    is how long one build may take before it is cancelled and its variant fails.
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
        if self.builder not in builders.CHOICES:
            raise UsageError(
                f"unknown builder {self.builder!r}: choose one of {', '.join(builders.CHOICES)}"
            )

    @classmethod
    def of(cls, base: Options | None = None, **changes: Any) -> Options:
        """``base`` (default: the defaults) with ``changes``; an unknown name is an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(changes) - known
        if unknown:
            raise UsageError(
                f"unknown option(s) {', '.join(sorted(unknown))}; options are "
                + ", ".join(sorted(known))
            )
        if "variants" in changes:
            changes["variants"] = tuple(changes["variants"] or ())
        return dataclasses.replace(base or cls(), **changes)

    def keyed(self) -> dict[str, Any]:
        """The parameters a variant's measurements depend on (part of its cache key)."""
        return {
            "trials": self.trials,
            "warmups": self.warmups,
            "anatomy": self.anatomy,
            "contents": self.contents,
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
            }
        )
