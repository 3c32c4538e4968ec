"""Engine tests: every test here runs against a real dockerd.

The fixture apps under ``apps/`` all build on ``kitbase/busybox:1`` so a build takes a second or
two, offline. Their images are tagged ``kitexp/eng-*:<variant>-<profile>``; the autouse
``_remove_test_images`` fixture removes exactly those tags after each test (and no other image).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prereq import unavailable

from kit.engine import RUN_LABEL, Engine
from kit.errors import KitError, StartError
from kit.inputs.app import load_app
from kit.measure.build import build_cold_and_warm
from kit.measure.start import run_trial
from kit.model.results import Results
from kit.model.rows import ImageResult
from kit.pipeline.experiment import run_experiment

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
#: The repository prefix of every image the fixture apps build.
TEST_REPO = "kitexp/eng-"

# Small and fast, but with a warm-up and more than one timed trial.
TRIALS = 2
WARMUPS = 1
#: Both builders: the tests that build take the ``builder`` fixture and run under each.
BUILDERS = ("buildkit", "classic")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.engine)


def tagged_test_images(engine: Engine) -> list[str]:
    """Tags of the images the fixture apps built (``kitexp/eng-*``)."""
    return [
        tag
        for img in engine.api.images()
        for tag in img.get("RepoTags") or []
        if tag.startswith(TEST_REPO)
    ]


@pytest.fixture(autouse=True)
def _remove_test_images(engine: Engine, busybox: str) -> Iterator[None]:
    """After each test (and after ``no_leaks`` has checked), remove the images it tagged.

    Autouse fixtures are set up first, so this one is torn down last. Removing a tag also
    removes the untagged parent steps it kept alive; nothing outside ``kitexp/eng-*`` is touched.
    """
    yield
    for tag in tagged_test_images(engine):
        engine.images.remove(tag)


@pytest.fixture(params=BUILDERS)
def builder(request: pytest.FixtureRequest, engine: Engine) -> str:
    """Each builder in turn; BuildKit must be drivable here (CI runs both)."""
    name = str(request.param)
    if name == "buildkit" and not engine.buildkit().available:
        unavailable(f"BuildKit cannot be driven on this engine: {engine.buildkit().note}")
    return name


@pytest.fixture()
def measure(engine: Engine) -> Callable[..., Results]:
    """``run_experiment`` on a fixture app with the suite's small, fast settings."""

    def run(app: str, profile: str = "local", **kwargs: object) -> Results:
        return run_experiment(
            Check.app_dir(app),
            profile=profile,
            trials=TRIALS,
            warmups=WARMUPS,
            engine=engine,
            progress=False,
            **kwargs,  # type: ignore[arg-type]
        )

    return run


class Check:
    """Assertions on result rows, shared by the engine tests (the ``check`` fixture)."""

    trials = TRIALS
    warmups = WARMUPS

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @staticmethod
    def app_dir(name: str) -> Path:
        path = APPS / name
        assert path.is_dir(), f"no fixture app {name}"
        return path

    @staticmethod
    def tag(app: str, variant: str, profile: str = "local", builder: str = "buildkit") -> str:
        return f"kitexp/{app}:{variant}-{profile}" + ("-classic" if builder == "classic" else "")

    @staticmethod
    def row(results: Results, variant: str) -> ImageResult:
        found = [r for r in results.image_rows if r.variant == variant]
        assert len(found) == 1, f"expected one row for {variant}: {results.image_rows}"
        return found[0]

    def ok(self, results: Results, variant: str) -> ImageResult:
        """Assert that a variant was built, sized and started; return its row."""
        r = self.row(results, variant)
        assert r.status == "ok", f"{variant} failed: {r.error_type}: {r.error}\n{r.log_tail}"
        assert r.error is None and r.error_type is None
        assert r.size_bytes is not None and r.size_bytes > 0
        assert r.layers is not None and r.layers >= 1
        assert r.build_cold_s is not None and r.build_cold_s > 0
        assert r.build_warm_s is not None and r.build_warm_s > 0
        assert r.start_n == TRIALS
        assert r.start_median_s is not None and r.start_median_s > 0
        assert r.tag == self.tag(results.app, variant, results.run.profile, results.run.builder)
        assert self.engine.images.inspect(r.tag) is not None
        trials = [t for t in results.trial_rows if t.variant == variant]
        assert [t.warmup for t in trials] == [True] * WARMUPS + [False] * TRIALS
        assert all(t.status == "ok" and t.total_s is not None and t.total_s > 0 for t in trials)
        return r

    def build_error(
        self, app: str, variant: str, profile: str = "local", builder: str = "buildkit"
    ) -> KitError:
        """Build one variant cold and warm as the pipeline does; return the error it raises."""
        spec = load_app(self.app_dir(app))
        chosen = next(v for v in spec.variants if v.name == variant)
        with pytest.raises(KitError) as raised:
            build_cold_and_warm(self.engine, spec, chosen, profile, builder=builder)
        assert self.engine.images.inspect(self.tag(app, variant, profile, builder)) is None
        return raised.value

    def start_error(self, results: Results, variant: str) -> StartError:
        """Start an image the run built once more, as one trial; return the error it raises."""
        spec = load_app(self.app_dir(results.app))
        run_id = f"engine-test-{secrets.token_hex(4)}"
        live: set[str] = set()
        with pytest.raises(StartError) as raised:
            run_trial(
                self.engine,
                self.tag(results.app, variant, results.run.profile, results.run.builder),
                spec.probe,
                {RUN_LABEL: run_id},
                trial=0,
                warmup=False,
                track=live.add,
                untrack=live.discard,
            )
        assert not live, "run_trial did not untrack its container"
        assert not self.engine.containers.kit_containers(run_id), "run_trial left its container"
        return raised.value

    def failed(
        self, results: Results, variant: str, error_type: str, *needles: str, built: bool
    ) -> ImageResult:
        """Assert a failed row of ``error_type`` whose error names every needle.

        ``built=False`` (the build failed) also asserts that no image is tagged for the variant.
        """
        r = self.row(results, variant)
        assert r.status == "failed"
        assert r.error_type == error_type, f"{r.error_type}: {r.error}"
        assert r.error
        for needle in needles:
            assert needle in r.error, f"{needle!r} not in error {r.error!r}"
        assert r in results.failed and r not in results.ok
        assert r.start_n == 0 and r.start_median_s is None
        if not built:
            assert r.image_id is None and r.tag is None and r.size_bytes is None
            tag = self.tag(results.app, variant, results.run.profile, results.run.builder)
            assert self.engine.images.inspect(tag) is None, f"{tag} exists after a failed build"
        return r


@pytest.fixture()
def check(engine: Engine) -> Check:
    return Check(engine)
