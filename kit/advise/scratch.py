"""The scratch copy of the build context advise measures in: each candidate a
``Dockerfile.<name>`` variant (with its ignore file), the probe in its ``experiment.toml``."""

from __future__ import annotations

import shutil
from pathlib import Path

from kit.advise.probe import config_text
from kit.inputs.experiment import Probe


class Scratch:
    """A copy of the build context where each candidate is a ``Dockerfile.<name>`` variant."""

    def __init__(self, context: Path, root: Path, probe: Probe) -> None:
        # Its own image names (kitexp/advise-<app>:…), apart from the app's measured variants.
        self.dir = root / f"advise-{context.name}"
        shutil.copytree(
            context,
            self.dir,
            symlinks=True,
            ignore=lambda _d, names: [n for n in names if n.startswith("Dockerfile.")],
        )
        (self.dir / "experiment.toml").write_text(config_text(probe, context))

    def write(self, name: str, text: str, ignore: str | None) -> None:
        (self.dir / f"Dockerfile.{name}").write_text(text)
        if ignore is not None:
            (self.dir / f"Dockerfile.{name}.dockerignore").write_text(ignore)
