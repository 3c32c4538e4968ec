"""``kit advise --json``: the advice as one JSON document whose keys are fixed here (and in
the README), not derived from the dataclasses, so a field added to them for the kit's own use
does not change what other tools read. ``schema`` names the format; a change that removes or
renames a key bumps it."""

from __future__ import annotations

from typing import Any

from kit.advise.verdicts import Advice, Sizes, Tried

SCHEMA = "kit-advice/1"


def _sizes(s: Sizes | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "size_bytes": s.size_bytes,
        "compressed_bytes": s.compressed_bytes,
        "layers": s.layers,
        "build_cold_s": s.build_cold_s,
        "build_warm_s": s.build_warm_s,
        "start_median_s": s.start_median_s,
        "rebuild_s": s.rebuild_s,
        "rebuild_steps": s.rebuild_steps,
    }


def _tried(t: Tried) -> dict[str, Any]:
    return {
        "technique": t.technique,
        "family": t.family,
        "does": t.does,
        "verdict": t.verdict,
        "why": t.why,
        "changes": list(t.changes),
        "sizes": _sizes(t.sizes),
        "saved_bytes": t.saved_bytes,
    }


def document(advice: Advice) -> dict[str, Any]:
    """The advice as plain JSON values (paths as strings, None as null)."""
    return {
        "schema": SCHEMA,
        "directory": str(advice.directory),
        "dockerfile": str(advice.dockerfile),
        "probe": {
            "kind": advice.probe.kind,
            "path": advice.probe.path,
            "pattern": advice.probe.pattern,
            "timeout_s": advice.probe.timeout_s,
            "source": advice.probe_source,
        },
        "original": _sizes(advice.original),
        "tried": [_tried(t) for t in advice.tried],
        "advised": None if advice.advised is None else _tried(advice.advised),
        "combined": list(advice.combined),
        "dropped": list(advice.dropped),
        "advised_path": None if advice.advised_path is None else str(advice.advised_path),
        "ignore_path": None if advice.ignore_path is None else str(advice.ignore_path),
        "diff": advice.diff,
        "notes": list(advice.notes),
    }
