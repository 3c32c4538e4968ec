"""The kit's one exception tree.

Every error carries the context a user needs to act on it: which app, variant and file it concerns,
the line of that file and the one-line cause where they are known, and the tail of the log that
explains it (as a terminal shows it: no colour codes). ``str(err)`` renders all of that on one
readable block.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from kit.plaintext import plain_lines


def _near(path: str | None) -> str | None:
    """A file as a message shows it: relative to the working directory when it lies under it
    or beside it (a notebook runs in notebooks/, the apps are in ../dockerfiles), so a saved
    notebook or log does not carry the folders of the machine that ran it."""
    if path is None or not os.path.isabs(path):
        return path
    try:
        near = os.path.relpath(path)
    except ValueError:
        return path
    return near if not near.startswith(f"..{os.sep}..") else path


class KitError(Exception):
    """Root of every error the kit raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        app: str | None = None,
        variant: str | None = None,
        file: Path | str | None = None,
        log_tail: Sequence[str] = (),
        hint: str | None = None,
        line: int | None = None,
        cause: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.app = app
        self.variant = variant
        self.file = str(file) if file is not None else None
        self.log_tail = tuple(log_tail)
        self.hint = hint
        self.line = line  # the line of ``file`` it concerns
        self.cause = cause  # what the log says went wrong, on one line

    @property
    def log_tail(self) -> tuple[str, ...]:
        return self._log_tail

    @log_tail.setter
    def log_tail(self, lines: Sequence[str]) -> None:
        # Set after the fact too (a container's logs): cleaned whichever way it comes.
        self._log_tail = plain_lines(lines)

    def _where(self) -> tuple[tuple[str, str | None], ...]:
        line = str(self.line) if self.line is not None else None
        return (("app", self.app), ("variant", self.variant), ("file", self.file), ("line", line))

    def __str__(self) -> str:
        shown = ((k, _near(v) if k == "file" else v) for k, v in self._where())
        where = ", ".join(f"{k}={v}" for k, v in shown if v)
        text = f"{self.message} [{where}]" if where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        if self.log_tail:
            text += "\n  log tail:\n" + "\n".join(f"    | {line}" for line in self.log_tail)
        return text

    @property
    def kind(self) -> str:
        return type(self).__name__

    def context(self) -> dict[str, str]:
        """Where it happened (and why, where known), as logging fields (``extra=``) for
        structured logs."""
        return {k: v for k, v in (*self._where(), ("cause", self.cause)) if v}


class UsageError(KitError):
    """A call or command was given something it cannot use: a bad option value, a path that
    does not exist, an unknown variant."""


class EngineError(KitError):
    """No engine answers, or it could not be started."""


class BuilderUnavailableError(EngineError):
    """The builder asked for cannot be driven on this engine (no docker CLI that can drive
    BuildKit, for instance)."""


class EngineGoneError(EngineError):
    """The engine stopped answering in the middle of work."""


class ImageGoneError(KitError):
    """An image the kit needs is not (or no longer) on the engine."""


class ExperimentConfigError(KitError):
    """An app directory is not in the experiment format (bad toml, no Dockerfiles, bad names)."""


class InvalidVariantError(ExperimentConfigError):
    """A ``Dockerfile.<variant>`` whose variant name breaks the naming rule."""


class BuildError(KitError):
    """``docker build`` failed: syntax error, a failing RUN, a missing COPY source."""


class BaseImageError(BuildError):
    """A base image named by FROM cannot be had (offline, or never built)."""


class BuildTimeoutError(BuildError):
    """A build ran past its time limit (``[build] timeout_s``, ``--build-timeout``) and was
    cancelled on the engine."""


class BuilderSyntaxError(BuildError):
    """A Dockerfile uses syntax its builder cannot build: BuildKit-only instructions under the
    classic builder, or what this engine's BuildKit frontend lacks (heredocs on Docker 20.10)."""


class StartError(KitError):
    """A container failed to start or to become ready."""


class ProbeTimeoutError(StartError):
    """The container never passed its readiness probe in time."""


class ContainerExitError(StartError):
    """The container exited with a non-zero code (or before it was ready)."""


class BasesError(KitError):
    """Making an embedded base image failed."""


class ResultsError(KitError):
    """Saved results cannot be read back."""


class StoreError(KitError):
    """The result store cannot be written (a full disk, no permission): nothing of the run that
    failed to commit is left in it, and every earlier run is intact."""


class NotebookError(KitError):
    """Executing or rendering a notebook failed (the executed notebook is still written)."""


class ToolError(KitError):
    """A program the kit runs beside the engine (dive, the docker CLI) is missing or failed."""


class LintUnavailableError(ToolError):
    """hadolint cannot be found or does not run, so no variant can be linted."""


class LayerError(KitError):
    """An image's ``docker save`` stream cannot be analysed: truncated, corrupt, or unsafe."""


class BatchError(KitError):
    """A batch cannot run: its matrix is wrong, or its state file cannot be read."""


class LockedError(KitError):
    """Another process holds a lock the kit needs (a result store, a batch run) and kept it."""


class RegistryError(KitError):
    """The local registry cannot be installed or started, or it failed during a push or pull."""
