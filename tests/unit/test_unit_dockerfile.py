"""The parsed Dockerfile model on the tricky forms, with expected values worked out by hand from
Docker's documented rules, and checked against PyPI's dockerfile-parse where it reads them right.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from kit.errors import BuildError, ExperimentConfigError
from kit.inputs.app import load_app
from kit.inputs.dockerfile import Dockerfile, DockerfileSyntaxError
from kit.inputs.dockerlex import expand

TRICKY = """\
# syntax=docker/dockerfile:1.4
ARG A=x B="y z"
ARG IMG
ARG C=${A}-c
FROM ${IMG:-node:20} AS Build
RUN --mount=type=cache,target=/root/.npm \\
    npm ci

# a comment between stages
FROM \\
  ${A}:${C} AS two
COPY --from=build /app /app
COPY --link --chmod=755 a.txt "b c.txt" /dst/
ADD https://example.com/x.tgz /x
COPY --from=busybox:1 /bin/busybox /bb
RUN <<EOF
apt-get update
apt-get install -y curl \\
  git
EOF
COPY <<-EOT /etc/motd
\thello
\tEOT
FROM two
COPY ["src dir/", "/srv/"]
"""


def test_directives_and_global_args() -> None:
    d = Dockerfile.parse(TRICKY)
    assert dict(d.directives) == {"syntax": "docker/dockerfile:1.4"}
    assert dict(d.global_args) == {"A": "x", "B": '"y z"', "IMG": None, "C": "${A}-c"}
    assert d.arg_values({}) == {"A": "x", "B": "y z", "IMG": None, "C": "x-c"}
    # A build arg overrides a declared ARG, and later defaults see it.
    assert d.arg_values({"A": "q", "IMG": "kitbase/node:18-slim", "UNDECLARED": "u"}) == {
        "A": "q",
        "B": "y z",
        "IMG": "kitbase/node:18-slim",
        "C": "q-c",
    }


def test_stages_and_bases() -> None:
    d = Dockerfile.parse(TRICKY)
    assert [(s.index, s.name, s.base, s.line) for s in d.stages] == [
        (0, "build", "${IMG:-node:20}", 5),
        (1, "two", "${A}:${C}", 10),
        (2, None, "two", 24),
    ]
    assert d.resolved({}) == [("build", "node:20"), ("two", "x:x-c"), (None, "two")]
    assert d.base_images({}) == ["node:20", "x:x-c"]
    assert d.base_images({"IMG": "kitbase/node:18-full"}) == ["kitbase/node:18-full", "x:x-c"]
    assert d.release_base({}) == "x:x-c"
    assert d.copied_images({}) == [(15, "busybox:1")]
    assert d.needed_stages() == (0, 1, 2)
    assert d.needed_stages(0) == (0,)


def test_instructions_lines_flags_and_heredocs() -> None:
    d = Dockerfile.parse(TRICKY)
    found = [(x.keyword, x.line, x.end_line, x.flags, x.stage) for x in d.instructions]
    assert found == [
        ("ARG", 2, 2, (), None),
        ("ARG", 3, 3, (), None),
        ("ARG", 4, 4, (), None),
        ("FROM", 5, 5, (), 0),
        ("RUN", 6, 7, (("mount", "type=cache,target=/root/.npm"),), 0),
        ("FROM", 10, 11, (), 1),
        ("COPY", 12, 12, (("from", "build"),), 1),
        ("COPY", 13, 13, (("link", None), ("chmod", "755")), 1),
        ("ADD", 14, 14, (), 1),
        ("COPY", 15, 15, (("from", "busybox:1"),), 1),
        ("RUN", 16, 20, (), 1),
        ("COPY", 21, 23, (), 1),
        ("FROM", 24, 24, (), 2),
        ("COPY", 25, 25, (), 2),
    ]
    run = d.instructions[4]
    assert run.args == "npm ci" and run.flag("mount") == "type=cache,target=/root/.npm"
    assert d.instructions[7].flag("link") == "" and d.instructions[7].flag("from") is None
    heredoc = d.instructions[10]
    assert heredoc.args == "<<EOF"
    (body,) = heredoc.heredocs
    assert (body.name, body.line) == ("EOF", 20)
    assert body.body == "apt-get update\napt-get install -y curl \\\n  git\n"
    (motd,) = d.instructions[11].heredocs
    assert (motd.name, motd.body) == ("EOT", "hello\n")  # <<- strips leading tabs
    assert d.stage_at(18) is not None and d.stage_at(18).name == "two"
    assert d.instruction_at(9) is None  # the comment line


def test_copy_and_add_sources() -> None:
    d = Dockerfile.parse(TRICKY)
    assert [(s.line, s.path, s.kind, s.origin) for s in d.sources()] == [
        (12, "/app", "stage", "build"),
        (13, "a.txt", "context", None),
        (13, "b c.txt", "context", None),
        (14, "https://example.com/x.tgz", "url", None),
        (15, "/bin/busybox", "image", "busybox:1"),
        (21, "<<-EOT", "heredoc", None),
        (25, "src dir/", "context", None),
    ]
    assert [s.path for s in d.context_sources()] == ["a.txt", "b c.txt", "src dir/"]


def test_escape_directive_backtick() -> None:
    text = "# escape=`\nFROM busybox AS a\nRUN echo C:\\path `\n    more\nCOPY x\\y /z\n"
    d = Dockerfile.parse(text)
    assert d.escape == "`"
    assert [(x.keyword, x.line, x.end_line, x.args) for x in d.instructions] == [
        ("FROM", 2, 2, "busybox AS a"),
        ("RUN", 3, 4, "echo C:\\path     more"),
        ("COPY", 5, 5, "x\\y /z"),
    ]
    assert [s.path for s in d.context_sources()] == ["x\\y"]


def test_continuation_skips_empty_and_comment_lines() -> None:
    d = Dockerfile.parse("FROM busybox\nRUN echo a \\\n\n# note\n  b\nCOPY x y\n")
    assert [(x.keyword, x.line, x.end_line, x.args) for x in d.instructions] == [
        ("FROM", 1, 1, "busybox"),
        ("RUN", 2, 5, "echo a   b"),
        ("COPY", 6, 6, "x y"),
    ]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("${X:-d}", "d"),  # unset
        ("${E:-d}", "d"),  # empty counts as unset with the colon
        ("${E-d}", ""),  # but not without it
        ("${X-d}", "d"),
        ("${S:+alt}", "alt"),
        ("${E:+alt}", ""),
        ("${E+alt}", "alt"),
        ("pre-${S}-post", "pre-set-post"),
        ("$S/$X/end", "set//end"),
        ("'$S'", "$S"),  # single quotes stop expansion
        ('"$S"', "set"),
        ("\\$S", "$S"),  # so does the escape character
        ("${X:-${S}:1}", "set:1"),  # a default may hold variables
        ("${IMG:-node:20}", "node:20"),
    ],
)
def test_variable_expansion(word: str, expected: str) -> None:
    assert expand(word, {"S": "set", "E": "", "X": None}) == expected


def test_substitution_docker_refuses_is_an_error_with_its_line(tmp_path: Path) -> None:
    d = Dockerfile.parse("ARG IMG\nFROM ${IMG:?required}\n")
    with pytest.raises(DockerfileSyntaxError) as raised:
        d.resolved({})
    assert raised.value.line == 2 and "required" in str(raised.value)
    assert d.resolved({"IMG": "busybox"}) == [(None, "busybox")]

    (tmp_path / "Dockerfile.v").write_text("ARG IMG\nFROM ${IMG:?required}\n")
    app = load_app(tmp_path)
    with pytest.raises(BuildError, match=r"Dockerfile.v, line 2: IMG: required"):
        app.bases(app.variants[0], "local")


def test_unclosed_heredoc_rejects_the_variant(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile.ok").write_text("FROM busybox\n")
    (tmp_path / "Dockerfile.open").write_text("FROM busybox\nRUN <<EOF\necho hi\n")
    app = load_app(tmp_path)
    assert [v.name for v in app.variants] == ["ok"]
    (rejected,) = app.rejected
    assert type(rejected.error) is ExperimentConfigError
    assert "Dockerfile.open, line 3: heredoc <<EOF opened on line 2 is never closed" in str(
        rejected.error
    )


@pytest.mark.parametrize(
    "text",
    [
        "ARG A=x B=y\nFROM ${A}:${B} AS one\nFROM \\\n  one\nRUN echo a \\\n  b\n",
        "# escape=`\nFROM busybox\nRUN echo a `\n  b\n",
        'ARG BASE=kitbase/node:18-slim\nFROM $BASE\n# c\nCOPY . .\nCMD ["node"]\n',
    ],
)
def test_agrees_with_dockerfile_parse_where_it_reads_right(text: str) -> None:
    ours = Dockerfile.parse(text)
    theirs = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    expected = [
        (s["instruction"], s["startline"] + 1, s["endline"] + 1)
        for s in theirs.structure
        if s["instruction"] != "COMMENT"
    ]
    assert [(x.keyword, x.line, x.end_line) for x in ours.instructions] == expected
    assert [ref for _, ref in ours.resolved({})] == theirs.parent_images


def test_bundled_multistage_reads_as_before() -> None:
    root = Path(__file__).parents[2] / "dockerfiles" / "node-server"
    d = Dockerfile.read(root / "Dockerfile.multistage")
    assert d.resolved({}) == [
        ("base", "kitbase/node:18-slim"),
        ("build", "base"),
        ("release", "kitbase/node:18-runtime"),
    ]
    assert d.base_images({}) == ["kitbase/node:18-slim", "kitbase/node:18-runtime"]
    assert [(s.path, s.kind, s.origin) for s in d.sources()] == [
        ("package*.json", "context", None),
        ("/app/node_modules", "stage", "build"),
        (".", "context", None),
    ]
    assert d.needed_stages() == (0, 1, 2)
