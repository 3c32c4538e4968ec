"""The ``kit`` command's parsers, one module per family of commands (``host``: engine, bases,
clean; ``experiment``: measure, check; ``runs``: notebook, batch, report, bench;
``results``: show, diff), and the options they share (``common``). Handlers live in
:mod:`kit.cli`."""
