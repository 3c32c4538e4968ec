"""What the kit starts and installs on the host, beside the engine: ``dockerd`` (an engine
brought up or down), ``registry`` (a registry on 127.0.0.1, and the ``manifest`` it serves),
``bases`` (the embedded base images, made offline), ``clean`` (``kit clean``: the kit's
containers and tags removed, never a user's object) and ``apt`` (Debian packages it needs)."""
