"""The probe advise checks every candidate with: the app's ``experiment.toml`` when it has one,
else derived from the Dockerfile and printed, so the user can correct it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kit.inputs import experiment
from kit.inputs.dockerfile import Dockerfile
from kit.inputs.experiment import Probe


def probe_for(directory: Path, dockerfile: Dockerfile) -> tuple[Probe, str]:
    """(the probe, where it comes from in words)."""
    config = directory / "experiment.toml"
    doc = experiment.read(config, directory.name)
    if "probe" in doc:
        return experiment.probe(doc, config, directory.name), "from experiment.toml"
    last = dockerfile.stages[-1] if dockerfile.stages else None
    exposed = (
        [x.args.split()[0] for x in last.instructions if x.keyword == "EXPOSE"] if last else []
    )
    if exposed:
        return Probe("http", "/"), f"derived: EXPOSE {exposed[0]} → GET / answers 200"
    return Probe("exit"), "derived: no EXPOSE → the command exits 0 (its output compared)"


def config_text(probe: Probe, directory: Path) -> str:
    """The scratch app's ``experiment.toml``: the probe, and the user's limits and profile
    args (what the builds and starts need), nothing else."""
    lines = ["[probe]", f'kind = "{probe.kind}"', f'path = "{probe.path}"']
    if probe.pattern is not None:
        lines.append(f"pattern = {_toml(probe.pattern)}")
    lines.append(f"timeout_s = {probe.timeout_s}")
    doc: dict[str, Any] = experiment.read(directory / "experiment.toml", directory.name)
    for key, value in (doc.get("limits") or {}).items():
        lines += ["[limits]"] if "[limits]" not in lines else []
        lines.append(f"{key} = {int(value)}")
    for profile, body in (doc.get("profiles") or {}).items():
        lines.append(f"[profiles.{profile}.args]")
        lines += [f"{k} = {_toml(str(v))}" for k, v in (body.get("args") or {}).items()]
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
