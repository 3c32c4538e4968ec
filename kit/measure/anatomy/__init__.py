"""Layer anatomy from an image's ``docker save`` stream, read once: ``savestream`` (one forward
pass over both layouts, with ``reader``'s forward-only file), ``gzipsize`` (the gzip a push
sends, on several cores), ``overlay`` (stacking layers with overlay semantics) and ``layers``
(per-layer statistics, dive's efficiency, wasted bytes)."""
