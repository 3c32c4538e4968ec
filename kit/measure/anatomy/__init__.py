"""Layer anatomy, each layer read once, ever: ``layers`` (analyze_image: which source, the cache),
``storage`` (layers from a local overlay2 engine's own storage, their entries straight from the
``tarsplit``), ``savestream`` (one forward pass over a ``docker save`` stream, both layouts, with
``reader``'s forward-only file), ``layertar`` (one layer tar's entries and sizes), ``gzipsize`` (the
gzip a push sends, on several cores, over ``blocks`` recipes), ``layercache`` (results by diff id
beside the store), ``overlay`` (stacking layers with overlay semantics) and ``combine`` (per-layer
statistics, dive's efficiency, wasted bytes)."""
