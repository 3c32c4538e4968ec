"""How numbers are written in narration, tables and claims."""

from __future__ import annotations


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "n/a"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def fmt_s(s: float | None) -> str:
    if s is None:
        return "n/a"
    return f"{s * 1000:.0f} ms" if abs(s) < 1 else f"{s:.2f} s"


def sentence(text: str) -> str:
    """First letter up, the rest as written (``str.capitalize`` would turn "RUN" into "run")."""
    return text[:1].upper() + text[1:]
