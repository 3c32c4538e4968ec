"""``kit advise``: one Dockerfile in, a measured diet out. Each technique family is a module of
registered :class:`~kit.advise.technique.Technique` classes that derive a candidate Dockerfile
from the parsed original (:mod:`kit.inputs.dockerfile`); :mod:`kit.advise.advise` measures each
with the pipeline, checks it still answers as the original does, and combines the ones that work
into ``Dockerfile.advised``."""
