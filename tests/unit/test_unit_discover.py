"""kit.inputs.app: app directories in the experiment format, and every way they can be wrong."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kit.errors import ExperimentConfigError, InvalidVariantError
from kit.inputs.app import load_app
from kit.inputs.dockerfile import Dockerfile
from kit.inputs.experiment import Probe

SINGLE = 'FROM kitbase/busybox:1\nCMD ["true"]\n'
MULTI = (
    "ARG BUILD=kitbase/debian:12\n"
    "FROM ${BUILD} AS build\n"
    "RUN echo hi > /x\n"
    "from kitbase/busybox:1 as release\n"
    "COPY --from=build /x /x\n"
)

TOML = """
title = "A tiny app"

[probe]
kind = "log"
pattern = "listening on \\\\d+"
timeout_s = 12

[variants.single]
description = "one stage"
args = { RUNTIME = "kitbase/busybox:1", LEVEL = 3 }

[variants.multi]
description = "two stages"

[profiles.local.args]
RUNTIME = "kitbase/node:18-runtime"
BUILD = "kitbase/debian:12"

[profiles.hub.args]
RUNTIME = "node:18-alpine"
"""


def make_app(
    root: Path, files: dict[str, str], toml: str | None = None, name: str = "tiny"
) -> Path:
    app = root / name
    app.mkdir()
    for filename, text in files.items():
        (app / filename).write_text(text)
    if toml is not None:
        (app / "experiment.toml").write_text(toml)
    return app


def test_valid_app_directory(tmp_path: Path) -> None:
    app_dir = make_app(tmp_path, {"Dockerfile.single": SINGLE, "Dockerfile.multi": MULTI}, TOML)
    app = load_app(app_dir)

    assert app.name == "tiny"
    assert app.directory == app_dir.resolve()
    assert app.title == "A tiny app"
    assert app.probe == Probe(kind="log", path="/", pattern=r"listening on \d+", timeout_s=12.0)
    assert [v.name for v in app.variants] == ["multi", "single"]  # sorted by file name
    assert app.rejected == ()
    multi, single = app.variants
    assert single.dockerfile == app_dir.resolve() / "Dockerfile.single"
    assert single.description == "one stage"
    assert single.sha256 == hashlib.sha256(SINGLE.encode()).hexdigest()
    assert dict(single.args) == {"RUNTIME": "kitbase/busybox:1", "LEVEL": "3"}
    assert single.stages == 1
    assert multi.stages == 2
    assert multi.description == "two stages"
    assert dict(multi.args) == {}
    assert {k: dict(v) for k, v in app.profile_args.items()} == {
        "local": {"RUNTIME": "kitbase/node:18-runtime", "BUILD": "kitbase/debian:12"},
        "hub": {"RUNTIME": "node:18-alpine"},
    }


def test_build_args_merge_profile_then_variant(tmp_path: Path) -> None:
    app = load_app(
        make_app(tmp_path, {"Dockerfile.single": SINGLE, "Dockerfile.multi": MULTI}, TOML)
    )
    multi, single = app.variants
    # The variant's own args win over the profile's.
    assert app.build_args(single, "local") == {
        "RUNTIME": "kitbase/busybox:1",
        "BUILD": "kitbase/debian:12",
        "LEVEL": "3",
    }
    assert app.build_args(multi, "local") == {
        "RUNTIME": "kitbase/node:18-runtime",
        "BUILD": "kitbase/debian:12",
    }
    assert app.build_args(multi, "hub") == {"RUNTIME": "node:18-alpine"}
    assert app.build_args(single, "hub") == {"RUNTIME": "kitbase/busybox:1", "LEVEL": "3"}


def test_defaults_without_experiment_toml(tmp_path: Path) -> None:
    app = load_app(make_app(tmp_path, {"Dockerfile.only": SINGLE}, name="bare-app"))
    assert app.title == "bare-app"
    assert app.probe == Probe(kind="exit", path="/", pattern=None, timeout_s=30.0)
    assert [(v.name, v.description, v.stages) for v in app.variants] == [("only", "", 1)]
    assert dict(app.profile_args) == {}
    assert app.build_args(app.variants[0], "local") == {}


def test_invalid_variant_name_becomes_rejected_entry(tmp_path: Path) -> None:
    app_dir = make_app(tmp_path, {"Dockerfile.ok": SINGLE, "Dockerfile.Bad_Name": SINGLE})
    app = load_app(app_dir)

    assert [v.name for v in app.variants] == ["ok"]
    assert len(app.rejected) == 1
    rejected = app.rejected[0]
    assert rejected.name == "Bad_Name"
    assert rejected.dockerfile == app_dir.resolve() / "Dockerfile.Bad_Name"
    assert rejected.sha256 == hashlib.sha256(SINGLE.encode()).hexdigest()
    assert isinstance(rejected.error, InvalidVariantError)
    assert isinstance(rejected.error, ExperimentConfigError)
    assert rejected.error.app == "tiny"
    assert rejected.error.variant == "Bad_Name"
    assert rejected.error.file == str(app_dir.resolve() / "Dockerfile.Bad_Name")
    assert "invalid variant name 'Bad_Name'" in rejected.error.message


def test_only_rejected_variants_is_not_an_app_error(tmp_path: Path) -> None:
    app = load_app(make_app(tmp_path, {"Dockerfile.-dash": SINGLE}))
    assert app.variants == ()
    assert [r.name for r in app.rejected] == ["-dash"]


def test_no_dockerfiles_is_config_error(tmp_path: Path) -> None:
    app_dir = make_app(tmp_path, {"Dockerfile": SINGLE, "README.md": "hi"})
    with pytest.raises(ExperimentConfigError) as info:
        load_app(app_dir)
    assert "no Dockerfile.<variant> files" in info.value.message
    assert info.value.app == "tiny"
    assert info.value.file == str(app_dir.resolve())


def test_missing_directory_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ExperimentConfigError, match="is not a directory"):
        load_app(tmp_path / "nowhere")


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    app_dir = make_app(tmp_path, {"Dockerfile.a": SINGLE}, 'title = "unclosed\n')
    with pytest.raises(ExperimentConfigError) as info:
        load_app(app_dir)
    assert info.value.file == str(app_dir.resolve() / "experiment.toml")
    assert "experiment.toml is not valid TOML" in info.value.message
    assert "experiment.toml" in str(info.value)


def test_non_utf8_toml_is_config_error(tmp_path: Path) -> None:
    app_dir = make_app(tmp_path, {"Dockerfile.a": SINGLE})
    (app_dir / "experiment.toml").write_bytes(b'title = "\xff\xfe"\n')
    with pytest.raises(ExperimentConfigError, match="not valid TOML"):
        load_app(app_dir)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[probe]\nkind = "tcp"\n', "probe.kind must be one of exit, log, http, not 'tcp'"),
        ('[probe]\nkind = "log"\n', "probe.kind = 'log' needs a pattern"),
        ('[probe]\nkind = "log"\npattern = 5\n', "probe.kind = 'log' needs a pattern"),
        ('[probe]\nkind = "log"\npattern = "(unclosed"\n', "probe.pattern is not a valid regex"),
        (
            '[probe]\nkind = "http"\nport = 80\nretries = 2\n',
            "unknown keys in [probe]: port, retries",
        ),
        ("[probe]\ntimeout_s = 0\n", "probe.timeout_s must be a positive number"),
        ('[probe]\ntimeout_s = "10"\n', "probe.timeout_s must be a positive number"),
        ('[probe]\nkind = "http"\npath = "health"\n', "probe.path must start with '/'"),
        ('probe = "http"\n', "[probe] must be a table"),
        ("title = 3\n", "title must be a string"),
        ('[profiles.cloud.args]\nX = "y"\n', "[profiles.cloud]: profiles are local, hub"),
        ('[profiles.local]\nargs = ["x"]\n', "[profiles.local.args] must map names to strings"),
        ('[variants.a]\nargs = { X = ["y"] }\n', "[variants.a.args] must map names to strings"),
        ('variants = { a = "text" }\n', "[variants.a] must be a table"),
        (
            '[variants.ghost]\ndescription = "no such file"\n[variants.other]\n',
            "[variants.*] name variants with no Dockerfile: ghost, other",
        ),
    ],
)
def test_config_errors(tmp_path: Path, toml: str, message: str) -> None:
    app_dir = make_app(tmp_path, {"Dockerfile.a": SINGLE}, toml)
    with pytest.raises(ExperimentConfigError) as info:
        load_app(app_dir)
    assert message in info.value.message
    assert info.value.app == "tiny"
    assert info.value.file == str(app_dir.resolve() / "experiment.toml")


def test_variant_table_for_a_rejected_name_is_not_unknown(tmp_path: Path) -> None:
    toml = '[variants."Bad"]\ndescription = "x"\n'
    app = load_app(make_app(tmp_path, {"Dockerfile.ok": SINGLE, "Dockerfile.Bad": SINGLE}, toml))
    assert [r.name for r in app.rejected] == ["Bad"]
    assert [v.name for v in app.variants] == ["ok"]


def test_unknown_top_level_key_is_rejected(tmp_path: Path) -> None:
    app_dir = make_app(tmp_path, {"Dockerfile.a": SINGLE}, '[prob]\nkind = "http"\n')
    with pytest.raises(ExperimentConfigError, match="unknown"):
        load_app(app_dir)


def test_unknown_variant_key_is_rejected(tmp_path: Path) -> None:
    app_dir = make_app(tmp_path, {"Dockerfile.a": SINGLE}, '[variants.a]\ndescripton = "x"\n')
    with pytest.raises(ExperimentConfigError, match="unknown"):
        load_app(app_dir)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FROM a\n", 1),
        ("FROM a AS x\nFROM x\nFROM scratch\n", 3),
        ("  from a\n\tFROM --platform=linux/amd64 b AS c\n", 2),
        ("# FROM commented\nFROM a\nRUN echo FROM b\n", 1),
        ("ARG X=1\nRUN true\n", 0),
        ("FROMAGE a\n", 0),
        ("", 0),
    ],
)
def test_count_stages(text: str, expected: int) -> None:
    assert len(Dockerfile.parse(text).stages) == expected


def test_stage_count_of_the_real_node_server_app() -> None:
    app = load_app(Path(__file__).resolve().parents[2] / "dockerfiles" / "node-server")
    assert {v.name: v.stages for v in app.variants} == {
        "closure": 2,
        "copy-first": 1,
        "full": 1,
        "multistage": 3,
        "slim": 1,
    }
    assert app.probe == Probe(kind="http", path="/", pattern=None, timeout_s=30.0)
    assert app.rejected == ()
