"""Views across the result store, on a store made from hand-built results (no engine)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from results_factory import failed_row, image_row, run_info, trials

from kit.model.results import Results
from kit.model.rows import ImageResult, TrialResult
from kit.model.store import Store
from kit.views.overview.figures import plot as plot_overview
from kit.views.overview.figures import plot_history
from kit.views.overview.text import facts as overview_facts
from kit.views.overview.text import history as history_table
from kit.views.overview.text import latest_images, short_commit
from kit.views.overview.text import summary as store_summary
from kit.views.overview.text import table as overview_table

MB = 1_000_000
A, B, C = "a" * 40, "b" * 40, "c" * 40


def add_run(
    store: Store,
    app: str,
    run_id: str,
    day: int,
    commit: str | None,
    sizes: Mapping[str, int],
    starts: Sequence[float] = (0.2, 0.3, 0.4),
    *,
    extra: Sequence[ImageResult] = (),
    cached_from: str | None = None,
    profile: str = "local",
) -> None:
    images = [
        image_row(
            variant,
            app=app,
            size_bytes=size,
            compressed_bytes=size // 3,
            layers=3 + i,
            cached_from=cached_from,
        )
        for i, (variant, size) in enumerate(sizes.items())
    ]
    samples: list[TrialResult] = []
    if cached_from is None:
        for variant in sizes:
            # A slow warm-up and a failed start: neither may count in the statistics.
            samples += trials(variant, [9.0, *starts, None], warmups=1, app=app)
    run = run_info(
        run_id=run_id,
        timestamp_utc=f"2026-11-{day:02d}T00:00:00+00:00",
        git_commit=commit,
        profile=profile,
    )
    store.append(
        Results(
            run=run,
            app=app,
            title=f"the {app} app",
            image_rows=(*images, *extra),
            trial_rows=tuple(samples),
        )
    )


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "store")
    add_run(s, "web", "r1", 1, A, {"full": 300 * MB, "slim": 120 * MB})
    add_run(
        s,
        "web",
        "r2",
        2,
        B,
        {"full": 300 * MB, "slim": 150 * MB},
        (0.1, 0.2, 0.5, 0.6),
        extra=[failed_row("broken", app="web")],
    )
    add_run(s, "tool", "r3", 3, B + "+dirty", {"naive": 90 * MB, "busybox": 5 * MB}, (0.05,))
    return s


def test_empty_store_says_so_and_draws_no_data(tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    assert "holds no runs yet" in store_summary(empty)
    assert "no runs" in overview_facts(empty)
    table = overview_table(empty)
    assert table.empty and {"app", "variant", "size_MB", "start median (ms)", "n"} <= set(
        table.columns
    )
    assert history_table(empty).empty
    for fig in (plot_overview(empty), plot_history(empty)):
        assert "No measured variant" in fig.axes[0].texts[0].get_text()
        plt.close(fig)


def test_overview_takes_the_latest_run_of_each_variant(store: Store) -> None:
    table = overview_table(store)
    assert list(zip(table["app"], table["variant"], strict=True)) == [
        ("tool", "busybox"),
        ("tool", "naive"),
        ("web", "slim"),
        ("web", "full"),
        ("web", "broken"),  # failed rows after the measured ones
    ]
    slim = table.set_index(["app", "variant"]).loc[("web", "slim")]
    assert slim["size_MB"] == 150.0 and slim["compressed_MB"] == 50.0
    assert slim["run"] == "r2" and slim["commit"] == "bbbbbbb"
    # From r2's trials alone: the warm-up (9 s) and the failed start are left out.
    assert slim["n"] == 4
    assert slim["start median (ms)"] == pytest.approx(350.0)
    assert slim["start IQR (ms)"] == pytest.approx(350.0)  # 525 − 175
    assert slim["build cold (s)"] == 12.5 and slim["build warm (s)"] == 0.75
    broken = table.set_index(["app", "variant"]).loc[("web", "broken")]
    assert broken["status"] == "failed" and broken["n"] == 0
    assert table.set_index("variant").loc["naive", "commit"] == "bbbbbbb+dirty"


def test_app_filter(store: Store) -> None:
    assert set(overview_table(store, app="tool")["variant"]) == {"naive", "busybox"}
    assert set(history_table(store, app="tool")["app"]) == {"tool"}
    assert overview_table(store, app="no-such-app").empty
    assert "holds no runs for app **no-such-app**" in store_summary(store, app="no-such-app")


def test_a_reused_measurement_takes_its_samples_from_the_run_it_came_from(store: Store) -> None:
    add_run(store, "web", "r4", 4, C, {"full": 300 * MB, "slim": 150 * MB}, cached_from="r2")
    table = overview_table(store, app="web").set_index("variant")
    assert table.loc["slim", "run"] == "r4" and table.loc["slim", "reused from"] == "r2"
    assert table.loc["slim", "n"] == 4
    assert table.loc["slim", "start median (ms)"] == pytest.approx(350.0)


def test_a_profile_is_its_own_row(store: Store) -> None:
    add_run(store, "web", "r5", 5, C, {"slim": 100 * MB}, profile="hub")
    latest = latest_images(store, app="web")
    assert sorted(zip(latest["variant"], latest["profile"], strict=True)) == [
        ("broken", "local"),
        ("full", "local"),
        ("slim", "hub"),
        ("slim", "local"),
    ]


def test_history_has_one_point_per_commit_and_shows_the_step(store: Store) -> None:
    # A rerun at the same commit replaces that commit's point instead of adding one.
    add_run(store, "web", "r2b", 3, B, {"full": 300 * MB, "slim": 150 * MB})
    table = history_table(store, app="web")
    assert list(table["commit"]) == ["aaaaaaa"] * 2 + ["bbbbbbb"] * 2  # one commit after another
    slim = table[table["variant"] == "slim"]
    assert list(slim["commit"]) == ["aaaaaaa", "bbbbbbb"]
    assert list(slim["run_id"]) == ["r1", "r2b"]
    assert list(slim["size_MB"]) == [120.0, 150.0]
    assert slim["change"].iloc[1] == 30.0
    assert "broken" not in set(table["variant"])  # never measured: no size to follow


def test_a_commit_measured_again_keeps_its_place(store: Store) -> None:
    add_run(store, "web", "r6", 6, A, {"full": 300 * MB, "slim": 120 * MB})
    slim = history_table(store, app="web").query("variant == 'slim'")
    assert list(zip(slim["commit"], slim["run_id"], strict=True)) == [
        ("aaaaaaa", "r6"),
        ("bbbbbbb", "r2"),
    ]


def test_history_of_runs_outside_git_is_one_point_per_run(tmp_path: Path) -> None:
    s = Store(tmp_path / "store")
    add_run(s, "web", "20261101T000000Z-aaaaaa", 1, None, {"slim": 1 * MB})
    add_run(s, "web", "20261102T000000Z-bbbbbb", 2, None, {"slim": 2 * MB})
    table = history_table(s)
    assert list(table["commit"]) == ["20261101T000000Z-aaaaaa", "20261102T000000Z-bbbbbb"]
    assert list(history_table(s, metric="layers")["layers"]) == [3, 3]
    with pytest.raises(KeyError):
        history_table(s, metric="start_median_s")


def test_facts_are_counts_and_rankings_only(store: Store) -> None:
    assert overview_facts(store).splitlines() == [
        "tool (local): 2 ok, 0 failed; smallest first: busybox < naive",
        "web (local): 2 ok, 1 failed; smallest first: slim < full",
    ]


def test_summary_names_apps_runs_and_commits(store: Store) -> None:
    text = store_summary(store)
    assert "3 run(s)" in text and "**tool**, **web**" in text and "3 commit(s)" in text


def test_plot_overview_has_a_row_per_measured_variant(store: Store) -> None:
    fig = plot_overview(str(store.root))
    axes = fig.axes
    assert len(axes) == 4
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    assert labels == ["tool · busybox", "tool · naive", "web · slim", "web · full"]
    for ax in axes:
        assert ax.get_xlabel()
    # One dot per counted start, one n label per variant.
    assert [t.get_text().strip() for t in axes[3].texts] == ["n=1", "n=1", "n=4", "n=4"]
    plt.close(fig)


def test_plot_history_has_a_panel_per_app_and_labels_commits(store: Store) -> None:
    fig = plot_history(store)
    assert [ax.get_title() for ax in fig.axes] == [
        "tool: size over commits",
        "web: size over commits",
    ]
    web = fig.axes[1]
    assert [t.get_text() for t in web.get_xticklabels()] == ["aaaaaaa", "bbbbbbb"]
    assert len(web.get_lines()) == 2  # full and slim
    assert [t.get_text() for t in web.texts] == ["+30"]  # the step of slim, in MB
    plt.close(fig)


def test_short_commit() -> None:
    assert short_commit(A) == "aaaaaaa"
    assert short_commit(A + "+dirty") == "aaaaaaa+dirty"
    assert short_commit(None) is None
