"""The remembered contents comparisons (kit.views.contents.memo): a rerun on unchanged file lists
reuses one, and a changed file list, changed comparison code or a damaged memo file is worked out
again — never a stale answer. Hand-made rows; no engine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from results_factory import image_row, results

from kit.model.results import Results
from kit.model.rows import FileRow
from kit.views.contents import compare as compare_module
from kit.views.contents import memo
from kit.views.contents.compare import compare


@pytest.fixture(autouse=True)
def _state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    memo.forget()


def run(slim: list[tuple[str, int]]) -> Results:
    full = [("/usr/lib/gcc/cc1", 30_000_000), ("/usr/lib/libc.so", 2_000_000), ("/app/a.js", 100)]
    rows = [FileRow("tiny", "full", p, n, "file") for p, n in full]
    rows += [FileRow("tiny", "slim", p, n, "file") for p, n in slim]
    base = results([image_row("full", size_bytes=50_000_000), image_row("slim", size_bytes=5)])
    return replace(base, file_rows=tuple(rows))


def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Working a comparison out now fails the test: what is shown must be remembered."""

    def refuse(*_: object) -> None:
        raise AssertionError("worked out again")

    monkeypatch.setattr(compare_module, "Namespace", refuse)


def shown(found: compare_module.Comparison) -> tuple[object, ...]:
    return ([f.path for f in found.only_files], found.groups, [f.path for f in found.extra_files])


def test_unchanged_file_lists_reuse_the_remembered_comparison(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = compare(run([("/usr/lib/libc.so", 2_000_000), ("/app/a.js", 100)]), "full", "slim")
    assert len(list(memo.folder().glob("*.json"))) == 1
    memo.forget()  # a new process: only the disk remembers
    no_work(monkeypatch)
    again = compare(run([("/usr/lib/libc.so", 2_000_000), ("/app/a.js", 100)]), "full", "slim")
    assert shown(again) == shown(first)
    assert [f.path for f in again.only_files] == ["/usr/lib/gcc/cc1"]


def test_a_changed_file_list_is_compared_again() -> None:
    before = compare(run([("/usr/lib/libc.so", 2_000_000)]), "full", "slim")
    assert [f.path for f in before.only_files] == ["/usr/lib/gcc/cc1", "/app/a.js"]
    # slim now has /app/a.js (another size: a changed row), and a file of its own.
    after = compare(
        run([("/usr/lib/libc.so", 2_000_000), ("/app/a.js", 7), ("/x", 1)]), "full", "slim"
    )
    assert [f.path for f in after.only_files] == ["/usr/lib/gcc/cc1"]
    assert [f.path for f in after.extra_files] == ["/x"]
    sized = compare(run([("/usr/lib/libc.so", 1)]), "full", "slim")  # only a size changed
    assert memo.variant_digest(run([("/usr/lib/libc.so", 1)]), "slim") != memo.variant_digest(
        run([("/usr/lib/libc.so", 2_000_000)]), "slim"
    )
    assert shown(sized) == shown(before)  # the same paths differ; worked out, not assumed
    assert len(list(memo.folder().glob("*.json"))) == 3


def test_changed_comparison_code_is_another_key(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = run([("/usr/lib/libc.so", 2_000_000)])
    compare(rows, "full", "slim")
    memo.forget()
    monkeypatch.setattr(memo, "code_digest", lambda: "other code")
    calls: list[int] = []
    real = compare_module.Namespace

    def counted(*args: object) -> object:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(compare_module, "Namespace", counted)
    compare(rows, "full", "slim")
    assert calls == [1, 1]  # both variants' namespaces built again


def test_a_damaged_memo_file_is_worked_out_again() -> None:
    rows = run([("/usr/lib/libc.so", 2_000_000)])
    first = compare(rows, "full", "slim")
    (kept,) = memo.folder().glob("*.json")
    kept.write_text('{"only": [', encoding="utf-8")  # cut short
    memo.forget()
    assert shown(compare(rows, "full", "slim")) == shown(first)
    assert kept.read_text(encoding="utf-8").startswith('{"only": ["/usr/lib/gcc/cc1"')


def test_a_memo_file_of_another_shape_is_worked_out_again() -> None:
    rows = run([("/usr/lib/libc.so", 2_000_000)])
    first = compare(rows, "full", "slim")
    (kept,) = memo.folder().glob("*.json")
    kept.write_text('{"only": ["/nowhere"]}', encoding="utf-8")  # valid JSON, no extra/groups
    memo.forget()
    assert shown(compare(rows, "full", "slim")) == shown(first)
