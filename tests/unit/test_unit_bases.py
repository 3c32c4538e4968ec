"""kit.host.bases without an engine: the host's Debian mirror, recipes that track their inputs."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from fake_api import FakeAPIClient

from kit.engine import MANAGED, Engine
from kit.errors import BasesError
from kit.host import bases
from kit.host.bases import BASES, ROOTFS_RECIPE, by_ref
from kit.host.rootfs import DEFAULT_MIRROR, debian_mirror

REPO_DOCKERFILES = Path(__file__).resolve().parents[2] / "dockerfiles"

DEB822 = """\
Types: deb
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main

Types: deb deb-src
URIs: https://mirror.example.org/pub/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def sources(tmp_path: Path, *, deb822: str | None = None, legacy: str | None = None) -> Path:
    root = tmp_path / "apt"
    (root / "sources.list.d").mkdir(parents=True)
    if deb822 is not None:
        (root / "sources.list.d" / "debian.sources").write_text(deb822)
    if legacy is not None:
        (root / "sources.list").write_text(legacy)
    return root


# -- debian_mirror ------------------------------------------------------------------------------
def test_deb822_sources(tmp_path: Path) -> None:
    assert (
        debian_mirror(sources(tmp_path, deb822=DEB822)) == "https://mirror.example.org/pub/debian"
    )


def test_deb822_wins_over_one_line_sources(tmp_path: Path) -> None:
    root = sources(
        tmp_path, deb822=DEB822, legacy="deb http://legacy.example/debian bookworm main\n"
    )
    assert debian_mirror(root) == "https://mirror.example.org/pub/debian"


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("deb http://ftp.example.net/debian bookworm main\n", "http://ftp.example.net/debian"),
        (
            "# deb http://commented.example/debian bookworm main\n"
            "deb [arch=amd64 signed-by=/k.gpg] http://ftp2.example.net/debian/ bookworm main\n",
            "http://ftp2.example.net/debian",
        ),
        ("deb-src http://src.example/debian bookworm main\n", DEFAULT_MIRROR),
        ("deb http://archive.ubuntu.com/ubuntu jammy main\n", DEFAULT_MIRROR),
    ],
)
def test_one_line_sources(tmp_path: Path, legacy: str, expected: str) -> None:
    assert debian_mirror(sources(tmp_path, legacy=legacy)) == expected


def test_no_sources_is_the_default_mirror(tmp_path: Path) -> None:
    assert debian_mirror(sources(tmp_path)) == "http://deb.debian.org/debian"
    assert debian_mirror(tmp_path / "no-such-dir") == "http://deb.debian.org/debian"


def test_deb822_without_a_debian_uri_falls_back(tmp_path: Path) -> None:
    only_security = DEB822.split("\n\n")[0] + "\n"
    legacy = "deb http://fallback.example/debian bookworm main\n"
    assert debian_mirror(sources(tmp_path, deb822=only_security, legacy=legacy)) == (
        "http://fallback.example/debian"
    )


# -- recipes ------------------------------------------------------------------------------------
@pytest.fixture()
def dockerfiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of dockerfiles/ that KIT_DOCKERFILES points at; no host CAs in recipes."""
    copy = tmp_path / "dockerfiles"
    shutil.copytree(REPO_DOCKERFILES / "bases", copy / "bases")
    monkeypatch.setenv("KIT_DOCKERFILES", str(copy))
    monkeypatch.setenv("KIT_HOST_CA", "0")
    return copy


def recipes() -> dict[str, str]:
    return {spec.ref: spec.recipe() for spec in BASES}


def sha(*parts: str) -> str:
    return hashlib.sha256("".join(parts).encode()).hexdigest()


# Recipes worked out by hand (no call to the code under test), on base Dockerfiles and helper
# files written here so that their parents are known: a recipe is sha256 of the Dockerfile's text,
# then of each helper file as name, NUL, bytes, then of each parent's recipe (hex) in FROM order;
# the root's is sha256 of ROOTFS_RECIPE (no host CAs).
OWN_BASES = {
    "debian-12-slim.Dockerfile": "FROM kitbase/debian:12 AS trim\nRUN trim\nFROM scratch\n",
    "busybox-1.Dockerfile": "ARG DEBIAN=kitbase/debian:12\nFROM ${DEBIAN} AS get\nFROM scratch\n",
    "node-18-full.Dockerfile": "FROM kitbase/debian:12\nRUN node full\n",
    "node-18-slim.Dockerfile": "FROM kitbase/debian:12-slim\nRUN node slim\n",
    # Two parents: npm from the slim node base, onto the slim root.
    "node-18-runtime.Dockerfile": (
        "FROM kitbase/node:18-slim AS npm\nFROM kitbase/debian:12-slim\nCOPY --from=npm / /\n"
    ),
    "node-18-runtime-nonroot.Dockerfile": "FROM kitbase/node:18-runtime\nUSER 65532\n",
    "python-3.11-full.Dockerfile": "FROM kitbase/debian:12\nRUN python full\n",
    "python-3.11-slim.Dockerfile": "FROM kitbase/debian:12-slim\nRUN python slim\n",
    "python-3.11-runtime.Dockerfile": "FROM kitbase/python:3.11-slim AS py\nFROM scratch\n",
    "python-3.11-runtime-nonroot.Dockerfile": "FROM kitbase/python:3.11-runtime\nUSER 65532\n",
}
OWN_FILES = {"node-entrypoint.sh": "#!/bin/sh\nexec node\n", "runtime-rootfs.sh": "#!/bin/sh\n:\n"}


def with_file(name: str) -> str:
    return f"{name}\0{OWN_FILES[name]}"


def by_hand() -> dict[str, str]:
    text = OWN_BASES
    debian = sha(ROOTFS_RECIPE)
    slim = sha(text["debian-12-slim.Dockerfile"], debian)
    entry, rootfs = with_file("node-entrypoint.sh"), with_file("runtime-rootfs.sh")
    node_slim = sha(text["node-18-slim.Dockerfile"], entry, slim)
    node_runtime = sha(text["node-18-runtime.Dockerfile"], rootfs, node_slim, slim)
    python_slim = sha(text["python-3.11-slim.Dockerfile"], slim)
    python_runtime = sha(text["python-3.11-runtime.Dockerfile"], rootfs, python_slim)
    return {
        "kitbase/debian:12": debian,
        "kitbase/debian:12-slim": slim,
        "kitbase/busybox:1": sha(text["busybox-1.Dockerfile"], debian),
        "kitbase/node:18-full": sha(text["node-18-full.Dockerfile"], entry, debian),
        "kitbase/node:18-slim": node_slim,
        "kitbase/node:18-runtime": node_runtime,
        "kitbase/node:18-runtime-nonroot": sha(
            text["node-18-runtime-nonroot.Dockerfile"], node_runtime
        ),
        "kitbase/python:3.11-full": sha(text["python-3.11-full.Dockerfile"], debian),
        "kitbase/python:3.11-slim": python_slim,
        "kitbase/python:3.11-runtime": python_runtime,
        "kitbase/python:3.11-runtime-nonroot": sha(
            text["python-3.11-runtime-nonroot.Dockerfile"], python_runtime
        ),
    }


@pytest.fixture()
def own_bases(dockerfiles: Path) -> Path:
    for name, text in {**OWN_BASES, **OWN_FILES}.items():
        (dockerfiles / "bases" / name).write_text(text)
    return dockerfiles


def test_recipes_are_worked_out_from_text_and_parents(own_bases: Path) -> None:
    assert recipes() == by_hand()
    assert len(set(by_hand().values())) == len(BASES)
    assert bases.dockerfiles_dir() == own_bases


def test_recipes_are_stable(dockerfiles: Path) -> None:
    assert recipes() == recipes()


def test_a_parent_named_through_a_build_arg_default(own_bases: Path) -> None:
    full = own_bases / "bases" / "node-18-full.Dockerfile"
    text = "ARG DEBIAN=kitbase/debian:12-slim\nFROM ${DEBIAN}\nRUN node full\n"
    full.write_text(text)
    # The same kind of text on the slim parent: its recipe follows the slim root's.
    expected = sha(text, with_file("node-entrypoint.sh"), by_hand()["kitbase/debian:12-slim"])
    assert recipes() == {**by_hand(), "kitbase/node:18-full": expected}


def test_editing_a_base_dockerfile_changes_its_recipe_and_its_childrens(dockerfiles: Path) -> None:
    before = recipes()
    slim = dockerfiles / "bases" / "debian-12-slim.Dockerfile"
    slim.write_text(slim.read_text() + "# one more comment\n")
    after = recipes()
    changed = {ref for ref in before if before[ref] != after[ref]}
    # The node and python slim/runtime bases build on debian:12-slim (the nonroot ones on the
    # runtime ones); the others do not.
    assert changed == {
        "kitbase/debian:12-slim",
        "kitbase/node:18-slim",
        "kitbase/node:18-runtime",
        "kitbase/node:18-runtime-nonroot",
        "kitbase/python:3.11-slim",
        "kitbase/python:3.11-runtime",
        "kitbase/python:3.11-runtime-nonroot",
    }


def test_editing_a_leaf_changes_only_the_leaf(dockerfiles: Path) -> None:
    before = recipes()
    nonroot = dockerfiles / "bases" / "node-18-runtime-nonroot.Dockerfile"
    nonroot.write_text(nonroot.read_text().replace("USER 65532:65532", "USER 65532"))
    after = recipes()
    changed = {ref for ref in before if before[ref] != after[ref]}
    assert changed == {"kitbase/node:18-runtime-nonroot"}


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("node-entrypoint.sh", {"kitbase/node:18-full", "kitbase/node:18-slim"}),
        (
            "runtime-rootfs.sh",
            {
                "kitbase/node:18-runtime",
                "kitbase/node:18-runtime-nonroot",
                "kitbase/python:3.11-runtime",
                "kitbase/python:3.11-runtime-nonroot",
            },
        ),
    ],
)
def test_a_copied_script_is_part_of_the_recipe(
    dockerfiles: Path, script: str, expected: set[str]
) -> None:
    before = recipes()
    path = dockerfiles / "bases" / script
    path.write_text(path.read_text() + "# one more comment\n")
    after = recipes()
    assert {ref for ref in before if before[ref] != after[ref]} == expected


def test_every_copied_file_is_declared(dockerfiles: Path) -> None:
    """A COPY of a file the recipe does not hash would let the base go stale silently."""
    from kit.inputs.dockerfile import Dockerfile

    for spec in BASES:
        if spec.dockerfile is None:
            continue
        text = (dockerfiles / "bases" / spec.dockerfile).read_text()
        copied = {
            line.split()[1]
            for line in text.splitlines()
            if line.startswith("COPY ") and "--from=" not in line
        }
        assert copied == set(spec.files), spec.ref
        assert Dockerfile.parse(text).base_images({}), spec.ref


def test_official_names_are_unique_and_tagged() -> None:
    names = [name for spec in BASES for name in spec.official]
    assert len(names) == len(set(names))
    assert all(":" in name.rsplit("/", 1)[-1] for name in names), "every name carries its tag"
    assert {
        "node:18",
        "node:18-slim",
        "python:3.11",
        "python:3.11-slim",
        "debian:12",
        "debian:12-slim",
        "busybox:latest",
        "gcr.io/distroless/nodejs18-debian12:latest",
        "gcr.io/distroless/nodejs18-debian12:nonroot",
        "gcr.io/distroless/python3-debian12:latest",
        "gcr.io/distroless/python3-debian12:nonroot",
    } <= set(names)


def test_root_recipe_change_reaches_every_base(
    dockerfiles: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = recipes()
    ca_dir = tmp_path / "ca"
    (ca_dir / "corp").mkdir(parents=True)
    (ca_dir / "corp" / "proxy.crt").write_text("-----BEGIN CERTIFICATE-----\nfake\n")
    monkeypatch.setattr(bases, "LOCAL_CA_DIR", ca_dir)
    monkeypatch.setenv("KIT_HOST_CA", "1")
    assert bases.host_trust_anchors() == [ca_dir / "corp" / "proxy.crt"]
    after = recipes()
    assert all(before[ref] != after[ref] for ref in before)


def test_parent_recipe_change_through_a_build_arg_default(dockerfiles: Path) -> None:
    before = recipes()
    full = dockerfiles / "bases" / "python-3.11-full.Dockerfile"
    full.write_text(
        full.read_text().replace(
            "ARG DEBIAN=kitbase/debian:12", "ARG DEBIAN=kitbase/debian:12-slim"
        )
    )
    after = recipes()
    assert before["kitbase/python:3.11-full"] != after["kitbase/python:3.11-full"]
    # the same text on the slim parent hashes differently from the same text on the full root
    text = full.read_text()
    digest = hashlib.sha256(text.encode())
    digest.update(after["kitbase/debian:12-slim"].encode())
    assert after["kitbase/python:3.11-full"] == digest.hexdigest()


def test_unknown_parent_is_a_bases_error(dockerfiles: Path) -> None:
    busybox = dockerfiles / "bases" / "busybox-1.Dockerfile"
    busybox.write_text("FROM debian:12 AS get\nFROM scratch\n")
    with pytest.raises(BasesError, match="debian:12 is not one of the kit's bases"):
        by_ref("kitbase/busybox:1").recipe()


def test_by_ref_unknown() -> None:
    with pytest.raises(BasesError, match="kitbase/alpine:3 is not one of the kit's bases"):
        by_ref("kitbase/alpine:3")


def test_bases_are_in_dependency_order(dockerfiles: Path) -> None:
    from kit.inputs.dockerfile import Dockerfile

    seen: set[str] = set()
    for spec in BASES:
        if spec.dockerfile is not None:
            parsed = Dockerfile.read(dockerfiles / "bases" / spec.dockerfile)
            assert set(parsed.base_images({})) <= seen, spec.ref
        seen.add(spec.ref)


def test_base_images_are_not_labelled_managed(dockerfiles: Path, fake_api: FakeAPIClient) -> None:
    from fake_api import FakeDockerClient

    engine = Engine(FakeDockerClient(fake_api))  # type: ignore[arg-type]
    bases._build_base(engine, by_ref("kitbase/busybox:1"), None)
    [(_, kwargs)] = fake_api.called("build")
    assert kwargs["labels"] == {"kit.recipe": by_ref("kitbase/busybox:1").recipe()}
    assert MANAGED not in kwargs["labels"]
