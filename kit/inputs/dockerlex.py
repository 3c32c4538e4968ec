"""The Dockerfile's lexical rules, as Docker's own parser applies them: parser directives, the
escape character, continuation lines, comments, heredocs, shell words and ``$VAR`` expansion.

Why the kit has its own lexer rather than PyPI's ``dockerfile-parse`` (2.0.1, checked on these
exact inputs): it reads a heredoc's body lines as instructions (``RUN <<EOF`` / ``apt-get
update`` gives an ``APT-GET`` instruction); it ends a continued instruction at an empty line,
which Docker skips; its variable substitution knows neither ``${IMG:-node:20}`` (it yields
``node:18:-node:20}``) nor the escape character; and it parses no instruction flags but FROM's
``--platform``. Those are the forms today's Dockerfiles use, and the cache key, the bases and the
clear build errors all depend on them. ``dockerfile-parse`` remains the tests' independent check
on the forms it does handle (``tests/unit/test_unit_dockerfile.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_KEYWORD = re.compile(r"(\S+)\s*(.*)", re.DOTALL)
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)(.+)$")
#: Instructions whose shell form may open heredocs (BuildKit's Dockerfile frontend 1.4+).
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


class DockerfileSyntaxError(ValueError):
    """A Dockerfile the lexer cannot read; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Heredoc:
    name: str  # the delimiter word, unquoted
    body: str  # the lines between the opener and the delimiter, newline-terminated
    line: int  # the delimiter's line (the body ends just before it)


@dataclass(frozen=True)
class LogicalLine:
    line: int  # the first physical line (1-based)
    end_line: int  # the last physical line, heredoc bodies included
    keyword: str  # upper-case
    rest: str  # after the keyword, continuations joined as Docker joins them
    heredocs: tuple[Heredoc, ...]


def directives(lines: list[str]) -> tuple[dict[str, str], int]:
    """Parser directives (``# syntax=``, ``# escape=`` …) at the very top, lower-cased keys,
    and the number of lines they take. The first other line ends them, as in Docker."""
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        m = _DIRECTIVE.match(line.strip())
        if not m or m.group(1).lower() in found:
            return found, index
        found[m.group(1).lower()] = m.group(2)
    return found, len(lines)


def _continues(line: str, escape: str) -> bool:
    stripped = line.rstrip()
    return stripped.endswith(escape)


def logical_lines(text: str, escape: str = "\\") -> Iterator[LogicalLine]:
    """Instructions with their line numbers: comments dropped (inside continuations too), empty
    lines inside a continuation skipped, heredoc bodies attached to the instruction opening them.
    """
    lines = text.splitlines()
    _, i = directives(lines)
    n = len(lines)
    while i < n:
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start, parts = i, []
        while True:
            current = lines[i]
            last = i
            i += 1
            if not _continues(current, escape):
                parts.append(current)
                break
            parts.append(current.rstrip()[: -len(escape)])
            while i < n and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1
            if i >= n:
                break
        first, rest = _KEYWORD.match("".join(parts).strip()).groups()  # type: ignore[union-attr]
        keyword = first.upper()
        heredocs: list[Heredoc] = []
        if keyword in HEREDOC_KEYWORDS:
            for name, strip_tabs in heredoc_openers(rest, escape):
                body: list[str] = []
                while True:
                    if i >= n:
                        raise DockerfileSyntaxError(
                            f"heredoc <<{name} opened on line {start + 1} is never closed", n
                        )
                    text_line = lines[i]
                    i += 1
                    check = text_line.lstrip("\t") if strip_tabs else text_line
                    if check.rstrip("\r") == name:
                        break
                    body.append((check if strip_tabs else text_line) + "\n")
                heredocs.append(Heredoc(name, "".join(body), i))
        yield LogicalLine(start + 1, i if heredocs else last + 1, keyword, rest, tuple(heredocs))


def heredoc_openers(rest: str, escape: str = "\\") -> list[tuple[str, bool]]:
    """The heredocs a shell-form argument string opens: (delimiter, strip leading tabs)."""
    if rest.lstrip().startswith("["):
        return []  # the JSON (exec) form has no heredocs
    found = []
    for word in split_words(rest, escape, keep_quotes=True):
        m = _HEREDOC_WORD.match(word)
        if m and not m.group(3).startswith("<"):
            found.append((unquote(m.group(3), escape), m.group(2) == "-"))
    return found


def split_words(text: str, escape: str = "\\", *, keep_quotes: bool = False) -> list[str]:
    """Whitespace-separated words, quotes grouping (and removed unless ``keep_quotes``)."""
    words: list[str] = []
    word: list[str] = []
    has_word = False
    quote: str | None = None
    chars = iter(text)
    for ch in chars:
        if ch == escape and quote != "'":
            nxt = next(chars, "")
            word.append(ch + nxt if keep_quotes else nxt)
            has_word = True
        elif quote is None and ch in "'\"":
            quote, has_word = ch, True
            if keep_quotes:
                word.append(ch)
        elif quote is not None and ch == quote:
            quote = None
            if keep_quotes:
                word.append(ch)
        elif quote is None and ch.isspace():
            if has_word:
                words.append("".join(word))
            word, has_word = [], False
        else:
            word.append(ch)
            has_word = True
    if has_word:
        words.append("".join(word))
    return words


def unquote(word: str, escape: str = "\\") -> str:
    return "".join(split_words(word, escape)) if word else word


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def expand(word: str, values: Mapping[str, str | None], escape: str = "\\") -> str:
    """``word`` with ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
    ``${VAR:+alt}`` and ``${VAR+alt}`` expanded, quotes removed, as Docker's shell lexer does.

    ``values`` maps a name to its value, or to None when it is declared without one (unset).
    A name not in ``values`` is unset too. Single quotes and the escape character stop
    expansion."""
    out: list[str] = []
    i, n = 0, len(word)
    quote: str | None = None
    while i < n:
        ch = word[i]
        if ch == escape and quote != "'" and i + 1 < n:
            out.append(word[i + 1])
            i += 2
        elif ch in "'\"" and (quote is None or quote == ch):
            quote = None if quote == ch else ch
            i += 1
        elif ch == "$" and quote != "'" and i + 1 < n:
            i, text = _variable(word, i + 1, values, escape)
            out.append(text)
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _variable(word: str, i: int, values: Mapping[str, str | None], escape: str) -> tuple[int, str]:
    """Expand the variable starting after ``$`` at ``i``; return the index after it."""
    if word[i] != "{":
        m = _NAME.match(word, i)
        if not m:
            return i, "$"
        return m.end(), values.get(m.group()) or ""
    m = _NAME.match(word, i + 1)
    if not m:
        raise DockerfileSyntaxError(f"bad substitution in {word!r}", 0)
    name, j = m.group(), m.end()
    depth, k = 1, j
    while k < len(word) and depth:
        depth += {"{": 1, "}": -1}.get(word[k], 0)
        k += 1
    if depth:
        raise DockerfileSyntaxError(f"missing '}}' in {word!r}", 0)
    modifier, value = word[j : k - 1], values.get(name)
    if not modifier:
        return k, value or ""
    for op in (":-", ":+", ":?", "-", "+", "?"):
        if modifier.startswith(op):
            arg = expand(modifier[len(op) :], values, escape)
            present = bool(value) if op.startswith(":") else value is not None
            if op.endswith("-"):
                return k, (value or "") if present else arg
            if op.endswith("+"):
                return k, arg if present else ""
            if not present:
                raise DockerfileSyntaxError(f"{name}: {arg or 'is not set'}", 0)
            return k, value or ""
    raise DockerfileSyntaxError(f"unsupported substitution ${{{name}{modifier}}}", 0)


def parse_flags(rest: str, escape: str) -> tuple[tuple[tuple[str, str | None], ...], str]:
    """An instruction's leading ``--name[=value]`` flags (names lower-cased), and the rest."""
    flags: list[tuple[str, str | None]] = []
    while rest.startswith("--"):
        word, _, after = rest.partition(" ")
        word = "".join(split_words(word, escape)) or word
        name, eq, value = word[2:].partition("=")
        flags.append((name.lower(), value if eq else None))
        rest = after.lstrip()
    return tuple(flags), rest


def exec_form_words(args: str) -> tuple[list[str], bool]:
    """The words of a JSON (exec) form; Docker reads anything else as the shell form."""
    if not args.startswith("["):
        return [], False
    try:
        words = json.loads(args)
    except ValueError:
        return [], False
    if not isinstance(words, list):
        return [], False
    return [str(w) for w in words], True
