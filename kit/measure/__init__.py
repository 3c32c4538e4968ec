"""One module per measured quantity, each taking an :class:`~kit.engine.Engine` and returning the
frozen samples of :mod:`kit.model.samples`:

``build`` (cold and warm builds; ``preflight``: what cannot build here, refused before the
build, with ``advice``; ``steps``: the stages a build ran), ``size`` (bytes, layers, history),
``start`` and ``probes`` (start trials and readiness; ``reach``: how a probe reaches a
container), ``surface`` (attack surface), ``contents`` (every file and package), ``stages``
(bytes per build stage), ``lint`` (hadolint), ``anatomy/`` (what each layer adds, from the
engine's storage or the save stream), ``floor/`` (the files a started service really uses),
``transfer/`` (one timed pull, push and pull through a registry, pulls onto a fresh host),
``rebuild`` (the rebuild after a one-line edit) and ``capacity`` (images per host).
"""
