"""One app directory through the whole experiment: ``experiment`` (:func:`run_experiment`, the
pipeline as a short sequence of steps), ``run`` (the state those steps fill in), ``options``
(what to measure), ``variant`` (one variant's measurements as rows), ``floor`` and ``payoffs``
(the app-level steps), ``cache`` (keys of every input, and reuse of stored measurements),
``reuse`` (whether a stored measurement still stands: its images still on the engine) and
``envelope`` (what every row says about its run)."""
