"""``kit advise`` on the bundled quotes-api app (the full python image, apt and pip in steps of
their own, ``COPY .`` of a checkout with tests and docs): it writes a Dockerfile.advised that
builds, answers as the original does, and is smaller — the sizes from the engine's inspect of
images built here from the two Dockerfiles, the answers from containers of those images asked
from inside (``docker exec``), not through the kit's probe code.

The app is copied to a temp dir named ``eng-quotes-api``: the images built here to check are
the engine tests' own (``kitexp/eng-*``, removed after each test); advise's own
(``kitexp/advise-eng-quotes-api:*``) it removes itself, which the test checks.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_checks import official_names as tagged_official

from kit.advise.advise import advise
from kit.engine import Engine

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "dockerfiles" / "quotes-api"
OFFICIAL = ("python:3.11", "python:3.11-slim", "debian:12", "debian:12-slim")
BASES = (
    "kitbase/python:3.11-full",
    "kitbase/python:3.11-slim",
    "kitbase/debian:12",
    "kitbase/debian:12-slim",
)
BREAKS = Path(__file__).resolve().parent / "apps" / "eng-advise-breaks"
GET = "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8000/').read().decode())"


@pytest.fixture()
def official_names(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The official names tagged on the embedded bases where the engine lacks them (recorded in
    a private state dir, so only those are untagged afterwards)."""
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    with tagged_official(engine, tmp_path / "state", BASES, OFFICIAL):
        yield


@pytest.fixture()
def quotes_api(official_names: None, tmp_path: Path) -> Path:
    copy = tmp_path / "eng-quotes-api"
    shutil.copytree(SOURCE, copy)
    return copy


def _build(engine: Engine, app: Path, dockerfile: str, tag: str) -> int:
    done = engine.builds.build(
        str(app), dockerfile, tag=tag, buildargs={}, labels={}, nocache=False, builder="buildkit"
    )
    assert done.image_id, done.error
    return int(engine.api.inspect_image(tag)["Size"])


def _answer(engine: Engine, tag: str) -> tuple[str, str, list[str] | None]:
    """(GET / as the app answers it inside its container, the image's user, its command)."""
    made = engine.api.create_container(
        tag, host_config=engine.api.create_host_config(network_mode="none")
    )
    try:
        engine.api.start(made["Id"])
        deadline = time.monotonic() + 30
        while True:
            run = engine.api.exec_create(made["Id"], ["python", "-c", GET])
            out = engine.api.exec_start(run["Id"]).decode()
            if engine.api.exec_inspect(run["Id"])["ExitCode"] == 0:
                break
            assert time.monotonic() < deadline, out
            time.sleep(0.2)
        config = engine.api.inspect_image(tag)["Config"]
        return out, config.get("User") or "", config.get("Cmd")
    finally:
        engine.api.remove_container(made["Id"], force=True)


def test_advise_writes_a_smaller_dockerfile_that_still_works(
    engine: Engine, quotes_api: Path
) -> None:
    original = quotes_api / "Dockerfile"
    before = hashlib.sha256(original.read_bytes()).hexdigest()
    advice = advise(quotes_api, engine=engine)

    # The user's Dockerfile is untouched; the advice is written beside it.
    assert hashlib.sha256(original.read_bytes()).hexdigest() == before
    assert advice.advised_path == quotes_api / "Dockerfile.advised"
    assert advice.probe.kind == "http" and "EXPOSE 8000" in advice.probe_source
    verdicts = {t.technique: t.verdict for t in advice.tried}
    assert verdicts["light-base"] == "saves" and verdicts["multi-stage"] == "saves"
    assert verdicts["distroless"] == "n/a"  # the single stage RUNs apt and pip
    # The requirements installed before COPY .: an edit of app.py no longer re-runs pip. The
    # image is no smaller, so it is the rebuild that makes it a saving.
    cache_order = next(t for t in advice.tried if t.technique == "cache-order")
    assert cache_order.verdict == "saves" and abs(cache_order.saved_bytes or 0) < 1_000_000
    assert not set(advice.combined) & {t for t, v in verdicts.items() if v == "breaks"}
    assert advice.advised is not None and advice.advised.verdict == "saves"
    assert advice.diff.startswith("--- Dockerfile\n+++ Dockerfile.advised\n")
    # advise removed every image it built.
    assert not [
        t
        for img in engine.api.images()
        for t in img.get("RepoTags") or []
        if t.startswith("kitexp/advise-eng-quotes-api:")
    ]

    # Independently: both Dockerfiles built here, sized by the engine, asked from inside.
    have = _build(engine, quotes_api, "Dockerfile", "kitexp/eng-quotes-api:check-original")
    lean = _build(engine, quotes_api, "Dockerfile.advised", "kitexp/eng-quotes-api:check-advised")
    assert lean < have / 2  # a full base: at least half of it saved
    assert advice.original is not None and advice.advised.sizes is not None
    assert abs(advice.original.size_bytes - have) < have * 0.01
    assert abs(advice.advised.sizes.size_bytes - lean) < lean * 0.01
    said, said_lean = (
        _answer(engine, "kitexp/eng-quotes-api:check-original"),
        _answer(engine, "kitexp/eng-quotes-api:check-advised"),
    )
    assert said == said_lean
    assert json.loads(said[0])["count"] == 3  # from app.py, read by hand


def test_advise_never_recommends_what_breaks_the_app(
    engine: Engine, official_names: None, tmp_path: Path
) -> None:
    app = tmp_path / "eng-advise-breaks"
    shutil.copytree(BREAKS, app)
    advice = advise(app, engine=engine)
    assert advice.probe.kind == "exit"
    verdicts = {t.technique: t for t in advice.tried}
    # The slim base has no /usr/share/locale: the tool's output differs (read by hand from the
    # two bases: `ls /usr/share/locale | wc -l` in a container of each).
    assert verdicts["light-base"].verdict == "breaks"
    assert "output" in verdicts["light-base"].why
    # Without docs/ the banner is gone and `cat` fails: the command no longer exits 0.
    assert verdicts["ignore-file"].verdict == "breaks"
    assert "docs/banner.txt" in verdicts["ignore-file"].why  # the log's evidence
    assert advice.advised is None and advice.advised_path is None
    assert not (app / "Dockerfile.advised").exists()
