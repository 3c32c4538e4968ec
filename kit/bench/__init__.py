"""``kit bench``: side-by-side benchmarks, raw samples kept and ratios reported. ``start`` (the
kit's start trial against a bare ``docker run``), ``layers`` (the layer analysis against dive)
and ``batch`` (a whole batch cold, then rerun)."""
