"""One app directory through the whole experiment: ``experiment`` (:func:`run_experiment`, the
pipeline as a short sequence of steps), ``run`` (the state those steps fill in), ``options``
(what to measure), ``variant`` (one variant measured, phase by phase), ``outcome`` (its rows,
measured or taken from a stored run), ``floor`` and ``payoffs`` (the app-level steps;
``payoffrows``: the payoffs folded into each variant's row), ``cache`` (the keys of every
input), ``reuse`` (the one path to a measurement: reused from the store under its key while
what it measured is still there, else measured) and ``envelope`` (what every row says about its
run)."""
