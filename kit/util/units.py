"""How numbers are written in narration, tables and claims."""

from __future__ import annotations

#: Decimal units, as the engine and registries report sizes.
KB, MB, GB = 10**3, 10**6, 10**9


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "n/a"
    for unit, size in (("GB", GB), ("MB", MB), ("kB", KB)):
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
