"""The app directory as the kit reads it: ``app`` (discovery: the app, its variants, each
Dockerfile read once), ``dockerfile`` (the parsed Dockerfile: stages and bases), ``experiment``
(the experiment.toml format), ``claims`` (declared claims, checked) and ``profiles`` (which bases
a run builds on)."""
