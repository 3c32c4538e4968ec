"""What one build ran, read from its steps: the stages it built and how many steps it ran.

The classic builder builds every stage up to the target; BuildKit only the stages the target
needs. Which stages a build really ran is read from its log: BuildKit labels each step with its
stage (``[build 2/4]``; ``stage-N`` for an unnamed stage), the classic builder numbers its steps
in the order of the Dockerfile's instructions, and each instruction knows its stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.engine import BuildStep
from kit.inputs.dockerfile import Dockerfile
from kit.measure.rebuild import rebuilt_steps


@dataclass(frozen=True)
class BuildSummary:
    stages_built: str  # the stages the build ran, in Dockerfile order, e.g. "build, release"
    build_steps: int  # steps not taken from the cache (FROM and the kit's LABELs left out)


def stage_label(dockerfile: Dockerfile, index: int) -> str:
    """A stage as BuildKit labels it: its name, else ``stage-N``."""
    return dockerfile.stages[index].name or f"stage-{index}"


def stages_built(dockerfile: Dockerfile, steps: tuple[BuildStep, ...]) -> tuple[str, ...]:
    """The stages ``steps`` belong to, in Dockerfile order (labels as :func:`stage_label`)."""
    labels = [stage_label(dockerfile, s.index) for s in dockerfile.stages]
    seen: set[int] = set()
    own = len(dockerfile.instructions)
    for step in steps:
        if step.stage is None and step.number is None:
            # BuildKit labels no step of a single unnamed stage ("[2/7] RUN …").
            if len(labels) == 1:
                seen.add(0)
        elif step.stage is not None:  # BuildKit's label
            if step.stage.lower() in labels:
                seen.add(labels.index(step.stage.lower()))
        elif step.number is not None and 0 < step.number <= own:
            index = dockerfile.instructions[step.number - 1].stage
            if index is not None:
                seen.add(index)
    return tuple(labels[i] for i in sorted(seen))


def summarize_build(dockerfile: Dockerfile, steps: tuple[BuildStep, ...]) -> BuildSummary:
    return BuildSummary(
        ", ".join(stages_built(dockerfile, steps)), rebuilt_steps(dockerfile, steps)
    )
