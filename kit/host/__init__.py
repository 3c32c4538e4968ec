"""What the kit starts and installs on the host, beside the engine: ``lifecycle`` (one dockerd's
life: started with the kit's flags, waited for, stopped, cleared away; ``procs``: the processes
and mounts a daemon leaves, ``socketdir``: short socket paths), ``dockerd`` (an engine brought
up or down), ``extra_engine`` (another dockerd beside it) and ``hub`` (the Docker Hub stand-in
made of one), ``netns`` (reaching into a container's network namespace), ``registry`` (a
registry on 127.0.0.1, and the ``manifest`` it serves), ``bases`` and ``rootfs`` (the embedded
base images, made offline), ``official`` and ``tags`` (those bases under the official names),
``clean`` (``kit clean``: the kit's containers and tags removed, never a user's object) and
``apt`` (Debian packages it needs)."""
