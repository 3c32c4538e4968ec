"""Moving images between hosts, measured: ``pull`` (one timed pull of a variant's image from the
kit's registry, and that image's handle: the one home of pull timing), ``push_pull`` (push and
pull through a registry, cold and warm), ``moved`` (the bytes each push sent) and ``fresh_host``
(pull and start on an empty engine)."""
