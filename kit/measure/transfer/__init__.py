"""Moving images between hosts, measured: ``push_pull`` (push and pull through a registry, cold and
warm, with the bytes each sent) and ``fresh_host`` (pull and start on an empty engine)."""
