"""One module per measured quantity, each taking an :class:`~kit.engine.Engine` and returning
the frozen samples of :mod:`kit.model.samples`:

``build`` (cold and warm builds), ``size`` (bytes, layers, history), ``start`` and ``probes``
(start trials and readiness), ``surface`` (attack surface), ``stages`` (bytes per build stage),
``lint`` (hadolint), ``anatomy/`` (what each layer adds, from the engine's storage or the save
stream), ``floor/`` (the files a started service really uses), ``transfer/`` (push and pull
through a registry, pulls onto a fresh host), ``rebuild`` (the rebuild after a one-line edit) and
``capacity`` (images per host).
"""
