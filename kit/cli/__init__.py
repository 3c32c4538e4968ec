"""The ``kit`` command: ``main`` (the parser and entry point), its parsers (``args/``) and the
handlers of each kind of command — ``host`` (engine, bases, clean), ``experiment`` (measure),
``check`` (the CI gate, with ``junit``'s XML report), ``results`` (show, diff), ``store``
(``kit store check``), ``runs`` (notebook, batch, report, bench) — and ``output`` (JSON, Markdown
and CSV for what they print)."""

from kit.cli.main import main

__all__ = ["main"]
