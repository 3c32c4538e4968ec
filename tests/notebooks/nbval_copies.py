"""Copies of the measurement notebooks for nbval, parameterised to measure afresh.

nbval re-executes a notebook as it finds it and compares its checked cells (stable facts) with
the outputs committed in it. Run on the committed notebooks themselves, it would append to the
repository's ``results/`` (reusing what an earlier ``make demo`` stored, so the checked facts would
come from stored rows, not from this code) on whatever profile ``auto`` resolves to. So
``make test`` runs nbval on copies that papermill has only parameterised (``prepare_only``: the
committed outputs stay, an ``injected-parameters`` cell follows the parameters cell):

- ``store``: a temporary store made for this ``make test`` and empty when it starts, so every
  row a checked cell reads was measured in this session by this code;
- ``profile``: ``local``, the profile the committed facts were recorded under;
- ``app``: the absolute path of the app (the copies live in a temp dir);
- small trial counts (:data:`PARAMETERS`): the checked facts are rankings, counts and verdicts
  on bytes and steps, never timings, so they do not depend on them.

The papermill smoke tests (``test_notebooks.py``) execute the same notebooks with the same
parameters on the same store (``TEST_NOTEBOOK_STORE``), after nbval: they reuse its
measurements instead of measuring everything a second time.

    python tests/notebooks/nbval_copies.py OUT_DIR notebooks/01_base_images.ipynb ...
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
STORE_VARIABLE = "TEST_NOTEBOOK_STORE"

#: Per notebook, what differs from its committed defaults besides store and profile. 01 and 04
#: measure node-server with the same keyed parameters, so 04 reuses 01's variants.
PARAMETERS: dict[str, dict[str, Any]] = {
    "01_base_images.ipynb": {"trials": 2},
    "02_layers.ipynb": {"trials": 1},
    "03_multistage.ipynb": {"trials": 1},
    "04_distribution.ipynb": {"trials": 2, "push_trials": 1, "rebuild_trials": 2},
    "05_builders.ipynb": {"trials": 2, "rebuild_trials": 2},
}
APPS = {
    "01_base_images.ipynb": "node-server",
    "02_layers.ipynb": "slacktee",
    "03_multistage.ipynb": "python-api",
    "04_distribution.ipynb": "node-server",
    "05_builders.ipynb": "notes-api",
}


def parameters(name: str, store: Path) -> dict[str, Any]:
    """Everything injected into notebook ``name`` (a file name under notebooks/)."""
    return {
        "app": str(REPO / "dockerfiles" / APPS[name]),
        "profile": "local",
        "store": str(store),
        **PARAMETERS[name],
    }


def prepare(out: Path, notebooks: list[Path]) -> list[Path]:
    """Parameterised copies of ``notebooks`` in ``out``; their store is ``out/store``."""
    import papermill

    out.mkdir(parents=True, exist_ok=True)
    copies = []
    for notebook in notebooks:
        copy = out / notebook.name
        papermill.execute_notebook(
            str(notebook),
            str(copy),
            parameters=parameters(notebook.name, out / "store"),
            prepare_only=True,
            log_output=False,
            progress_bar=False,
        )
        copies.append(copy)
    return copies


if __name__ == "__main__":
    for made in prepare(Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]]):
        print(made)
