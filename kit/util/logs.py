"""Logging for the ``kit`` command: levels, and JSON lines for machines.

Errors raised by the kit carry context (app, variant, file, line, cause); a log record made from
one keeps those as fields, so a CI job can filter a batch's log by variant without parsing prose.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

#: Context fields a record may carry (``log.warning(..., extra={"variant": ...})``).
FIELDS = ("app", "variant", "file", "line", "cause", "cell", "run_id")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(*, verbose: bool = False, quiet: bool = False, json_lines: bool = False) -> None:
    """debug with ``verbose``, warnings only with ``quiet``, info otherwise; to stderr."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLines() if json_lines else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
