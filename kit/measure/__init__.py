"""One module per measured quantity, each taking an :class:`~kit.engine.Engine` and returning
the frozen samples of :mod:`kit.model.samples`:

``build`` (cold and warm builds), ``size`` (bytes, layers, history), ``start`` and ``probes``
(start trials and readiness), ``surface`` (attack surface), ``stages`` (bytes per build stage),
``lint`` (hadolint), ``anatomy/`` (what each layer adds, from the save stream), ``floor/`` (the
files a started service really uses) and ``payoffs/`` (push and pull, rebuild after an edit,
images per host).
"""
