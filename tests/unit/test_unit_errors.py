"""kit.errors: every error renders the context a user needs on one readable block."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.errors import (
    BaseImageError,
    BuildError,
    ContainerExitError,
    EngineError,
    EngineGoneError,
    ExperimentConfigError,
    InvalidVariantError,
    KitError,
    ProbeTimeoutError,
    ResultsError,
    StartError,
)


def test_str_with_everything() -> None:
    err = KitError(
        "build failed",
        app="node-server",
        variant="slim",
        file=Path("/apps/node-server/Dockerfile.slim"),
        hint="run `kit bases`",
        log_tail=["Step 2/4 : RUN npm install", "npm ERR! network"],
    )
    assert str(err) == (
        "build failed [app=node-server, variant=slim, file=/apps/node-server/Dockerfile.slim]\n"
        "  hint: run `kit bases`\n"
        "  log tail:\n"
        "    | Step 2/4 : RUN npm install\n"
        "    | npm ERR! network"
    )
    assert err.file == "/apps/node-server/Dockerfile.slim"
    assert err.log_tail == ("Step 2/4 : RUN npm install", "npm ERR! network")
    assert err.message == "build failed"
    assert err.args == ("build failed",)


def test_str_with_message_only() -> None:
    assert str(KitError("plain")) == "plain"
    assert KitError("plain").file is None
    assert KitError("plain").log_tail == ()


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"app": "a"}, "m [app=a]"),
        ({"variant": "v", "file": "f.toml"}, "m [variant=v, file=f.toml]"),
        ({"hint": "do this"}, "m\n  hint: do this"),
        ({"log_tail": ["only line"]}, "m\n  log tail:\n    | only line"),
        ({"app": "", "variant": None}, "m"),
    ],
)
def test_str_partial_context(kwargs: dict[str, object], expected: str) -> None:
    assert str(KitError("m", **kwargs)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cls", "parents"),
    [
        (EngineGoneError, (EngineError, KitError)),
        (InvalidVariantError, (ExperimentConfigError, KitError)),
        (BaseImageError, (BuildError, KitError)),
        (ProbeTimeoutError, (StartError, KitError)),
        (ContainerExitError, (StartError, KitError)),
        (ResultsError, (KitError,)),
    ],
)
def test_hierarchy_and_kind(cls: type[KitError], parents: tuple[type[KitError], ...]) -> None:
    err = cls("x")
    assert all(isinstance(err, p) for p in parents)
    assert err.kind == cls.__name__


def test_raised_and_caught_as_exception() -> None:
    with pytest.raises(KitError, match=r"no engine \[app=x\]"):
        raise EngineError("no engine", app="x")


def test_public_api_names_resolve_and_unknown_names_fail() -> None:
    import kit

    for name in kit.__all__:
        assert getattr(kit, name) is not None
    with pytest.raises(AttributeError):
        kit.not_a_kit_name  # noqa: B018


def test_every_public_name_is_exported_once() -> None:
    import kit

    assert sorted(kit.__all__) == sorted(set(kit.__all__))
    assert set(kit.__all__) == set(kit._HOME) | {"views"}
    assert len(kit.__all__) <= 15  # a small public API; the views are namespaces under kit.views


def test_every_view_topic_speaks_the_same_names() -> None:
    import kit

    for topic in ("images", "layers", "floor", "distribution"):
        module = getattr(kit.views, topic)
        for name in ("table", "narrate", "claims", "facts"):
            assert callable(getattr(module, name)), f"kit.views.{topic}.{name}"
        assert any(n.startswith("plot_") for n in module.__all__), topic
    for name in ("table", "summary", "facts", "history", "plot", "plot_history"):
        assert callable(getattr(kit.views.overview, name)), name


def test_public_functions_stay_functions_after_their_modules_load() -> None:
    """A submodule named like an exported function would replace it once imported."""
    import importlib

    import kit

    for home in set(kit._HOME.values()):
        importlib.import_module(home)
    for name in set(kit.__all__) - {"views"}:
        assert not isinstance(getattr(kit, name), type(kit)), name
