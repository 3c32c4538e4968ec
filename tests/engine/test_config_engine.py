"""The registered ``config`` measurement on a real engine: each row says what ``docker image
inspect`` (the CLI, not the kit's SDK calls) says of the variant's image."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

from kit.model.results import Results


def _inspected(image: str) -> dict[str, object]:
    out = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config}}", image],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config: dict[str, object] = json.loads(out)
    return config


def test_config_rows_match_the_engines_inspect(
    measure: Callable[..., Results], no_leaks: None
) -> None:
    results = measure("eng-good", config=True)
    rows = {r.variant: r for r in results.rows("config")}
    assert set(rows) == {r.variant for r in results.ok} and rows
    for image in results.ok:
        config = _inspected(str(image.image_id))
        row = rows[image.variant]
        assert row.user == (config.get("User") or "")
        assert row.cmd == json.dumps(config.get("Cmd"))
        assert row.env_vars == len(config.get("Env") or [])  # type: ignore[arg-type]
        # eng-good's Dockerfiles set no USER on a busybox base: both run as root.
        assert row.runs_as_root
    again = measure("eng-good")
    assert again.rows("config") == ()
