"""Builders: which of the engine's builders builds the variants.

``buildkit`` (Docker's default since Engine 23) is driven through a docker CLI, ``classic``
through the SDK; ``auto`` (the default) is BuildKit where the engine and a CLI can drive it, else
the classic builder with a note saying why. The builder used is recorded on every row.
"""

from __future__ import annotations

from kit.engine.client import Engine
from kit.errors import BuilderUnavailableError, UsageError

CHOICES = ("auto", "buildkit", "classic")


def resolve(requested: str, engine: Engine) -> tuple[str, str | None]:
    """(the builder to use, a note when ``auto`` fell back to the classic builder)."""
    if requested not in CHOICES:
        raise UsageError(f"unknown builder {requested!r}: choose one of {', '.join(CHOICES)}")
    if requested == "classic":
        return "classic", None
    cli = engine.buildkit()
    if cli.available:
        return "buildkit", None
    if requested == "buildkit":
        raise BuilderUnavailableError(
            f"BuildKit cannot be driven on this engine: {cli.note}",
            hint="install a docker CLI with the buildx plugin, or use --builder classic",
        )
    return "classic", f"BuildKit not used: {cli.note}"
