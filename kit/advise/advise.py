"""``kit advise``: every technique's candidate built and measured as a variant of a scratch copy
of the app (the original beside them as ``Dockerfile.original``), each checked to answer its
probe as the original does, the working ones combined into ``Dockerfile.advised`` — techniques
dropped one at a time while the combination breaks — and that written beside the user's
Dockerfile with a unified diff. The user's files are never changed; what the kit built is
removed on every exit path."""

from __future__ import annotations

import contextlib
import difflib
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from kit.advise.probe import probe_for
from kit.advise.scratch import Scratch
from kit.advise.technique import Candidate, Context, Technique, techniques
from kit.advise.verdicts import Advice, Sizes, Tried, verdict
from kit.engine import Engine
from kit.errors import KitError, UsageError
from kit.inputs.app import load_app, read_dockerfile
from kit.inputs.dockerfile import Dockerfile, DockerfileSyntaxError
from kit.inputs.experiment import Probe
from kit.measure.answer import Answer, answer
from kit.model.rows import ImageResult
from kit.pipeline.experiment import run_experiment
from kit.util.locks import engine_in_use

log = logging.getLogger("kit")
ADVISED = "advised"
ORIGINAL = "original"
#: Builds of the combination at most: the first, then one per technique dropped.
MAX_COMBINATIONS = 4


@dataclass(frozen=True)
class Checked:
    row: ImageResult
    answer: Answer | None


def _sizes(row: ImageResult) -> Sizes:
    return Sizes(
        int(row.size_bytes or 0),
        row.compressed_bytes,
        row.layers,
        row.build_cold_s,
        row.build_warm_s,
        row.start_median_s,
        row.rebuild_s,
        row.rebuild_steps,
    )


class Advisor:
    def __init__(self, engine: Engine, scratch: Scratch, probe: Probe, progress: bool) -> None:
        self.engine, self.scratch, self.probe, self.progress = engine, scratch, probe, progress
        self.tags: set[str] = set()

    def measure(self, names: list[str]) -> dict[str, Checked]:
        """Build, size and start ``names`` with the pipeline; then ask each what it answers."""
        results = run_experiment(
            self.scratch.dir,
            engine=self.engine,
            variants=tuple(names),
            trials=1,
            warmups=0,
            floor=False,
            contents=False,
            rebuild=1,
            force=True,
            progress=self.progress,
        )
        app = load_app(self.scratch.dir)
        found = {}
        for row in results.image_rows:
            if row.tag:
                self.tags.add(row.tag)
            checked = None
            if row.status == "ok" and row.tag:
                labels = {"kit.app": app.name, "kit.variant": row.variant}
                checked = answer(self.engine, row.tag, self.probe, labels, app.limits)
            found[row.variant] = Checked(row, checked)
        return found

    def remove(self) -> None:
        for tag in self.tags:
            with contextlib.suppress(KitError):
                self.engine.images.remove(tag, force=True)


def judge(t: Technique, cand: Candidate, original: Checked, checked: Checked | None) -> Tried:
    """The technique's verdict from its variant's row and answer against the original's."""
    base = Tried(t.name, t.family, t.does, "n/a", "")
    if cand.status != "candidate" or checked is None:
        return replace(
            base, verdict=cand.status if cand.status != "candidate" else "not tried", why=cand.why
        )
    row = checked.row
    if row.status != "ok":
        if row.error_type == "BaseImageError":
            return replace(
                base,
                verdict="not tried",
                why=f"a base this engine does not have: {row.error}",
                changes=cand.changes,
            )
        # The log's last line is usually the evidence a person wants (a missing file).
        last = (row.log_tail or "").strip().splitlines()[-1:]
        evidence = f"{row.error_type}: {row.error}" + (f" ({last[0].strip()})" if last else "")
        return replace(base, verdict="breaks", why=evidence, changes=cand.changes)
    assert original.answer is not None and checked.answer is not None
    different = original.answer.differences(checked.answer)
    sizes = _sizes(row)
    if different:
        return replace(
            base, verdict="breaks", why="; ".join(different), changes=cand.changes, sizes=sizes
        )
    said, saved = verdict(_sizes(original.row), sizes)
    return replace(
        base, verdict=said, why=cand.why, changes=cand.changes, sizes=sizes, saved_bytes=saved
    )


def combine(
    chosen: list[Technique], text: str, path: Path, context: Context
) -> tuple[str, str | None, list[str]]:
    """Each chosen technique derived again on what the ones before it made; (text, ignore
    file, the techniques that still applied)."""
    ignore: str | None = None
    applied = []
    for t in chosen:
        try:
            parsed = Dockerfile.parse(text, path)
        except DockerfileSyntaxError as exc:  # a technique's bug, never the user's
            raise KitError(
                f"{t.name} wrote a Dockerfile that does not parse: {exc}", file=path
            ) from exc
        cand = t.derive(parsed, text, context)
        if cand.status == "candidate" and cand.dockerfile is not None:
            text = cand.dockerfile
            ignore = cand.ignore if cand.ignore is not None else ignore
            applied.append(t.name)
    return text, ignore, applied


def advise(
    directory: str | Path,
    dockerfile: str | Path | None = None,
    *,
    engine: Engine | None = None,
    lighter: Mapping[str, str] | None = None,
    progress: bool = False,
    scratch_root: Path | None = None,
) -> Advice:
    context = Path(directory).resolve()
    path = Path(dockerfile).resolve() if dockerfile else context / "Dockerfile"
    if not path.is_file():
        raise UsageError(f"no Dockerfile at {path}", file=path, hint="give one with -f")
    text = path.read_text()
    parsed = read_dockerfile(path)
    probe, source = probe_for(context, parsed)
    ctx = Context(context, dict(lighter or {}))
    all_techniques = techniques()
    candidates = [(t, t.derive(parsed, text, ctx)) for t in all_techniques]
    own = engine or Engine.connect()
    info = own.info()
    # Held from the first build to the last answer: between the pipeline's runs the images
    # advise asks are its own, and `kit clean` must not take them.
    in_use = engine_in_use(info.daemon_id or info.host, f"kit advise of {context}")
    with in_use, tempfile.TemporaryDirectory(prefix="kit-advise-", dir=scratch_root) as tmp:
        scratch = Scratch(context, Path(tmp), probe)
        advisor = Advisor(own, scratch, probe, progress)
        try:
            scratch.write(ORIGINAL, text, None)
            names = [ORIGINAL]
            for t, cand in candidates:
                if cand.status == "candidate" and cand.dockerfile is not None:
                    scratch.write(t.name, cand.dockerfile, cand.ignore)
                    names.append(t.name)
            measured = advisor.measure(names)
            original = measured[ORIGINAL]
            if original.row.status != "ok" or original.answer is None or not original.answer.ok:
                why = original.row.error or (original.answer.error if original.answer else "")
                raise KitError(
                    f"the original does not pass its probe ({source}): {why}",
                    file=path,
                    hint="give the app an experiment.toml with the [probe] it answers",
                )
            tried = tuple(judge(t, c, original, measured.get(t.name)) for t, c in candidates)
            working = [
                t
                for t, r in zip(all_techniques, tried, strict=True)
                if r.verdict in ("saves", "no effect")
            ]
            advice = _advised(advisor, working, text, path, ctx, original)
        finally:
            advisor.remove()
            if engine is None:
                own.close()
    written, ignore_path, diff = _write(path, text, advice)
    return Advice(
        context,
        path,
        probe,
        source,
        _sizes(original.row),
        tried,
        advice.advised,
        advice.combined,
        advice.dropped,
        written,
        ignore_path,
        diff,
    )


class _Combined(Technique):
    """The combination, judged as a technique is (never registered: it is not one)."""

    name = ADVISED
    family = "combination"
    does = "every working technique together"


@dataclass(frozen=True)
class _Combination:
    advised: Tried | None
    combined: tuple[str, ...]
    dropped: tuple[str, ...]
    text: str | None
    ignore: str | None


def _advised(
    advisor: Advisor,
    working: list[Technique],
    text: str,
    path: Path,
    ctx: Context,
    original: Checked,
) -> _Combination:
    chosen, dropped = list(working), list[str]()
    for attempt in range(MAX_COMBINATIONS):
        if not chosen:
            break
        new, ignore, applied = combine(chosen, text, path, ctx)
        name = f"{ADVISED}{attempt or ''}"
        advisor.scratch.write(name, new, ignore)
        checked = advisor.measure([name])[name]
        cand = Candidate(ADVISED, "candidate", ", ".join(applied), new, ignore, tuple(applied))
        tried = judge(_Combined(), cand, original, checked)
        if tried.verdict in ("saves", "no effect"):
            return _Combination(tried, tuple(applied), tuple(dropped), new, ignore)
        # Drop the technique applied last: the base and the whole-file rewrites come last,
        # and are the likeliest to break what the others left working.
        log.warning("the combination breaks (%s); dropping %s", tried.why, chosen[-1].name)
        dropped.append(chosen.pop().name)
    return _Combination(None, (), tuple(dropped), None, None)


def _write(path: Path, original: str, advice: _Combination) -> tuple[Path | None, Path | None, str]:
    if advice.text is None:
        return None, None, ""
    target = path.parent / f"Dockerfile.{ADVISED}"
    target.write_text(advice.text)
    ignore_path = None
    if advice.ignore is not None:
        ignore_path = path.parent / f"Dockerfile.{ADVISED}.dockerignore"
        ignore_path.write_text(advice.ignore)
    diff = "".join(
        difflib.unified_diff(
            original.splitlines(keepends=True),
            advice.text.splitlines(keepends=True),
            fromfile=path.name,
            tofile=target.name,
        )
    )
    return target, ignore_path, diff
