"""The largest places one variant leaves out of another, as a bar chart."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from kit.model.results import Results
from kit.util.units import MB
from kit.views.contents.compare import compare


def plot_diff(
    results: Results, have: str | None = None, lack: str | None = None, *, top: int = 12
) -> Figure:
    """The directories (and files) ``have`` holds and ``lack`` does not, largest on top."""
    found = compare(results, have, lack)
    groups = list(found.groups[:top])[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.35 * max(len(groups), 3) + 1.2), layout="constrained")
    sizes = [g.bytes / MB for g in groups]
    ax.barh([g.path for g in groups], sizes, color="#c44e52")
    for i, (g, size) in enumerate(zip(groups, sizes, strict=True)):
        files = f"{g.files:,} file" + ("" if g.files == 1 else "s")
        ax.annotate(f" {size:.1f} MB, {files}", (size, i), va="center", fontsize=8)
    ax.set_xlim(0, max(sizes, default=1) * 1.35)
    ax.set_xlabel("bytes of file content (MB)")
    ax.set_title(
        f"What {found.lack} leaves out of {found.have}: "
        f"{found.only_bytes / MB:.0f} MB in {len(found.only_files):,} paths"
    )
    ax.tick_params(axis="y", labelsize=8)
    return fig
