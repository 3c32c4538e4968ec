"""The record of the official names the kit tagged on each engine (``official-tags.json`` in
the state directory), keyed by the engine (its id and data root).

It is what tells the kit's own tag (moved when its base is rebuilt, removed by ``kit clean
--bases``) from a user's image of the same name, which the kit leaves alone: labels cannot tell
them apart, since every image built on a base inherits the base's labels.
"""

from __future__ import annotations

import json
from pathlib import Path

from kit.config import state_dir
from kit.engine import Engine

RECORD = "official-tags.json"


def split(name: str) -> tuple[str, str]:
    """``repository``, ``tag`` of a name that always carries its tag."""
    repository, _, tag = name.rpartition(":")
    return repository, tag


def _key(engine: Engine) -> str:
    """Which engine: its id and data root (engines side by side on one host may share an id)."""
    info = engine.info()
    return f"{info.daemon_id or info.host}:{info.root_dir}"


def _record_path() -> Path:
    return state_dir() / RECORD


def _load() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(_record_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(data: dict[str, dict[str, str]]) -> None:
    path = _record_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(path)


def recorded(engine: Engine) -> dict[str, str]:
    """The names the kit tagged on this engine, with the image id each was given."""
    return dict(_load().get(_key(engine), {}))


def remember(engine: Engine, names: dict[str, str]) -> None:
    data = _load()
    key = _key(engine)
    if names:
        data[key] = names
    else:
        data.pop(key, None)
    _save(data)


def follow(engine: Engine, old_id: str, new_id: str) -> list[str]:
    """Move the names the kit tagged on ``old_id`` (a base just rebuilt) to ``new_id``."""
    mine = recorded(engine)
    moved = []
    for name, image_id in sorted(mine.items()):
        holder = engine.images.inspect(name)
        if image_id != old_id or holder is None or holder.id != old_id:
            continue
        engine.images.tag(new_id, *split(name))
        mine[name] = new_id
        moved.append(name)
    if moved:
        remember(engine, mine)
    return moved


def untag_official(engine: Engine) -> list[str]:
    """Remove the names the kit tagged on this engine (``kit clean --bases``); a name that now
    holds another image is the user's and stays."""
    removed = []
    for name, image_id in sorted(recorded(engine).items()):
        holder = engine.images.inspect(name)
        if holder is not None and holder.id == image_id and engine.images.untag(name):
            removed.append(name)
    remember(engine, {})
    return removed
