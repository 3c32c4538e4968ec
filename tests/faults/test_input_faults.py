"""Hostile app directories: a build context with symlinks pointing outside it, a Dockerfile
outside the context, variant names with odd characters. Each is made in a temp folder (some of
these names cannot be committed), and the rerun is the same app once the fault is removed."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from conftest import measure_on
from fourway import FailedRow, FourWay, Raised

from kit.engine import Engine
from kit.errors import ExperimentConfigError
from kit.model.results import Results
from kit.model.store import Store

BASE = "FROM kitbase/busybox:1\n"
#: Exits 1 if any file copied into /app holds the secret (spelled backwards here: the Dockerfile
#: holding this line is copied too).
CHECK = 'CMD ["sh", "-c", "! grep -rq \\"$(echo TERCES | rev)\\" /app"]\n'
TOML = 'title = "fault tests: a hostile app directory"\n[probe]\nkind = "exit"\ntimeout_s = 20\n'


def _app(folder: Path, name: str, dockerfiles: dict[str, str]) -> Path:
    app = folder / name
    app.mkdir(parents=True)
    (app / "experiment.toml").write_text(TOML)
    for variant, body in dockerfiles.items():
        (app / f"Dockerfile.{variant}").write_text(BASE + body)
    return app


@pytest.mark.parametrize("builder", ["buildkit", "classic"])
def test_a_context_with_symlinks_pointing_outside_it(
    engine: Engine, store: Path, fourway: FourWay, tmp_path: Path, builder: str
) -> None:
    secret = f"KIT-SECRET-{secrets.token_hex(8)}"
    (tmp_path / "secret.txt").write_text(secret + "\n")
    app = _app(
        tmp_path,
        "flt-links",
        {
            # Everything, links included; the image must not hold the secret (exit 1 if it
            # does). The Dockerfile (copied too) spells it backwards.
            "copyall": "COPY . /app\n" + CHECK.replace("TERCES", secret[::-1]),
            # A link to a file outside: the engine resolves it inside the context, finds nothing.
            "copylink": 'COPY outside /x\nCMD ["true"]\n',
        },
    )
    (app / "outside").symlink_to(tmp_path / "secret.txt")
    (app / "relative").symlink_to("../secret.txt")
    (app / "root").symlink_to("/")
    (app / "loop").symlink_to("loop")
    results = measure_on(engine, app, store=store, builder=builder)
    assert results.run.builder == builder
    copyall = next(r for r in results.image_rows if r.variant == "copyall")
    assert copyall.status == "ok", copyall.error  # the secret is not in the image
    # What the kit read of the context (its cache key) never followed a link out of it.
    assert copyall.cache_key

    def rerun() -> Results:
        (app / "Dockerfile.copylink").unlink()
        return measure_on(engine, app, store=store, builder=builder)

    # Either builder would say only "not found" (in its own words); the kit names the file,
    # the line, the link and where it points.
    said = [
        "Dockerfile.copylink",
        "line 2: `COPY outside`",
        f"`outside` is a symbolic link to {tmp_path / 'secret.txt'}",
        "outside the build context",
    ]
    fourway.check(FailedRow(results, "copylink", "BuildError", said), rerun)


def test_a_dockerfile_outside_the_context(
    engine: Engine, store: Path, fourway: FourWay, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "Dockerfile.away").write_text(BASE + 'CMD ["true"]\n')
    app = _app(tmp_path, "flt-outside", {"ok": 'CMD ["true"]\n'})
    # A variant whose Dockerfile is a link out of the context: rejected, never read.
    (app / "Dockerfile.away").symlink_to(elsewhere / "Dockerfile.away")
    results = measure_on(engine, app, store=store)
    away = next(r for r in results.image_rows if r.variant == "away")
    assert away.dockerfile_sha256 == "", "the kit read a Dockerfile outside the context"

    def without_the_link() -> Results:
        (app / "Dockerfile.away").unlink()
        return measure_on(engine, app, store=store)

    fourway.check(
        FailedRow(results, "away", "ExperimentConfigError", ["points outside the build context"]),
        without_the_link,
    )
    # A profile's Dockerfile outside the context: the app is refused as a whole, by name.
    with (app / "experiment.toml").open("a") as toml:
        toml.write('[variants.ok.profiles.local]\ndockerfile = "../elsewhere/Dockerfile.away"\n')
    with pytest.raises(ExperimentConfigError) as raised:
        measure_on(engine, app, store=store)

    def fixed() -> Results:
        (app / "experiment.toml").write_text(TOML)
        return measure_on(engine, app, store=store)

    refused = Raised(raised.value, "ExperimentConfigError", ["inside the app directory"])
    fourway.check(refused, fixed)


ODD = ("UPPER", "with space", "semi;colon", "-dash", "ünïcode", "a\nnewline", "", "$(id)")


def test_variant_names_with_odd_characters(
    engine: Engine, store: Path, fourway: FourWay, tmp_path: Path
) -> None:
    app = _app(tmp_path, "flt-odd", {"ok": 'CMD ["true"]\n'})
    for name in ODD:
        (app / f"Dockerfile.{name}").write_text(BASE + 'CMD ["true"]\n')
    results = measure_on(engine, app, store=store)
    rejected = {r.variant: r for r in results.image_rows if r.variant != "ok"}
    assert set(rejected) == set(ODD)
    for name, row in rejected.items():
        assert row.status == "failed" and row.error_type == "InvalidVariantError", row
        assert repr(name) in str(row.error)
    # Stored and read back with their names intact.
    stored = [r.variant for r in results.image_rows]
    again = Store(store).results(run_id=results.run.run_id)
    assert [r.variant for r in again.image_rows] == stored

    def rerun() -> Results:
        for name in ODD:
            (app / f"Dockerfile.{name}").unlink()
        return measure_on(engine, app, store=store)

    fourway.check(
        FailedRow(results, "with space", "InvalidVariantError", ["invalid variant name"]), rerun
    )
