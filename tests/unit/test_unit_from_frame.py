"""Rows read back from a frame (kit.model.tables.from_frame): Python values, and every kind of
missing value — NaN, pandas' NA of a nullable int column, an absent column — as None."""

from __future__ import annotations

import math

import pandas as pd

from kit.model.rows import FileRow, PackageRow
from kit.model.tables import from_frame


def test_values_come_back_as_python_values_and_missing_ones_as_none() -> None:
    frame = pd.DataFrame(
        {
            "app": ["a", "a"],
            "variant": ["v", "w"],
            "path": ["/bin/sh", "/etc/x"],
            "bytes": pd.array([10, 0], dtype="Int64"),
            "kind": ["symlink", "file"],
            "target": ["/bin/busybox", math.nan],
        }
    )
    rows = from_frame(frame, FileRow)
    assert rows == (
        FileRow("a", "v", "/bin/sh", 10, "symlink", "/bin/busybox"),
        FileRow("a", "w", "/etc/x", 0, "file", None),
    )
    assert type(rows[0].bytes) is int


def test_an_absent_column_and_a_null_int_are_none() -> None:
    frame = pd.DataFrame(
        {"app": ["a"], "variant": ["v"], "name": ["libc6"], "bytes": pd.array([None], "Int64")}
    )
    (row,) = from_frame(frame, PackageRow)
    assert row == PackageRow("a", "v", "libc6", None, None)  # no version column: None


def test_an_empty_frame_gives_no_rows() -> None:
    assert from_frame(pd.DataFrame({"app": [], "variant": []}), FileRow) == ()
