"""``kit advise``: every technique tried on the app, the working ones combined into
``Dockerfile.advised``; a table and the diff, or one JSON document."""

from __future__ import annotations

import argparse

from kit.cli.output import emit_json, text_table
from kit.errors import UsageError


def _mb(n: int | None) -> str:
    return "" if n is None else f"{n / 1e6:.1f}"


def _n(value: int | None) -> str:
    return "" if value is None else str(value)


def _lighter(pairs: list[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        ref, eq, lighter = pair.partition("=")
        if not eq or not ref or not lighter:
            raise UsageError(f"--lighter takes IMAGE=LIGHTER (got {pair!r})")
        found[ref] = lighter
    return found


def advise(args: argparse.Namespace) -> int:
    from kit.advise.advise import advise as run

    advice = run(
        args.path,
        args.file,
        lighter=_lighter(args.lighter or []),
        progress=not args.quiet and not args.json,
    )
    if args.json:
        from kit.advise.document import document

        emit_json(document(advice))
        return 0 if advice.advised is not None else 1
    print(
        f"probe: {advice.probe.kind} {advice.probe.path if advice.probe.kind == 'http' else ''}"
        f"({advice.probe_source})"
    )
    original = advice.original
    rows = [
        {
            "technique": "original",
            "verdict": "",
            "size MB": _mb(original.size_bytes if original else None),
            "compressed MB": _mb(original.compressed_bytes if original else None),
            "saved MB": "",
            "rebuild steps": _n(original.rebuild_steps if original else None),
            "why": "",
        }
    ]
    for t in (*advice.tried, *([advice.advised] if advice.advised else [])):
        rows.append(
            {
                "technique": t.technique,
                "verdict": t.verdict,
                "size MB": _mb(t.sizes.size_bytes if t.sizes else None),
                "compressed MB": _mb(t.sizes.compressed_bytes if t.sizes else None),
                "saved MB": _mb(t.saved_bytes),
                "rebuild steps": _n(t.sizes.rebuild_steps if t.sizes else None),
                "why": t.why if len(t.why) <= 100 else t.why[:97] + "...",
            }
        )
    print(text_table(rows))
    if advice.advised is None:
        print("no working combination: nothing written")
        return 1
    by_name = {t.technique: t for t in advice.tried}
    print(
        f"\nwrote {advice.advised_path}"
        + (f" and {advice.ignore_path}" if advice.ignore_path else "")
    )
    for name in advice.combined:
        t = by_name[name]
        print(f"  {name}: {t.does}; alone it saved {_mb(t.saved_bytes)} MB")
    for name in advice.dropped:
        print(f"  dropped {name}: the combination broke with it")
    print("\n" + advice.diff)
    return 0
