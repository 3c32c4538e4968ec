"""The app directory as the kit reads it: ``app`` (discovery: the app, its variants, each
Dockerfile read once), ``dockerfile`` (the parsed Dockerfile: directives, stages, bases,
instructions with lines and flags, COPY/ADD sources; its lexical rules in ``dockerlex``),
``features`` (what each builder lacks, and build errors explained by their line),
``blockers`` (what stops a Dockerfile from building here, found before the build), ``failed``
(a failed step mapped back to its instruction), ``links`` (sources linked out of the context),
``reads`` (what a variant's build can read of its context: the cache key's part of it),
``experiment`` (the experiment.toml format), ``claims`` (declared claims, checked),
``profiles`` (which bases a run builds on) and ``builders`` (which builder builds them)."""
