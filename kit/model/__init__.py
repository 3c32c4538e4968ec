"""Pure data: what measurements return (``samples``), the rows of every table (``rows``), the
one boundary to DataFrames (``tables``), a run's :class:`Results` (``results``), the append-only
:class:`Store` (``store``), claims (``claims``) and the size-related lint rules (``rules``).
Nothing here talks to an engine or measures anything."""
