"""The ``kit`` command: ``main`` (the parser and entry point) and the handlers of each kind of
command — ``host`` (engine, bases, clean), ``experiment`` (measure, notebook), ``runs`` (batch,
report, bench)."""

from kit.cli.main import main

__all__ = ["main"]
