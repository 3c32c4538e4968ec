"""One module per measured quantity: ``size`` (bytes, layers, history) and ``start`` (timing)."""
