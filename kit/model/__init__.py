"""Pure data: what measurements return (``samples``), the rows of every table (``rows``), the
one boundary to DataFrames (``tables``), a run's :class:`Results` (``results``, read back from
a saved folder by ``saved``), what a run could not measure (``failures``), the append-only
:class:`Store` (``store``; its files on disk, quarantine and check in ``storefiles``), claims
(``claims``), budgets (``budgets``) and the size-related lint rules (``rules``).
Nothing here talks to an engine or measures anything."""
