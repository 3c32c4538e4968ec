"""Layer anatomy, each layer read once, ever: ``layers`` (analyze_image: which source, the cache),
``storage`` (layers from a local overlay2 engine's own storage), ``savestream`` (one forward pass
over a ``docker save`` stream, both layouts, with ``reader``'s forward-only file), ``scan`` (one
layer tar's entries and sizes), ``gzipsize`` (the gzip a push sends, on several cores),
``layercache`` (results by diff id beside the store), ``overlay`` (stacking layers with overlay
semantics) and ``combine`` (per-layer statistics, dive's efficiency, wasted bytes)."""
