"""Running notebooks: ``notebooks`` (one notebook executed with papermill, rendered to HTML),
``matrix`` (a batch matrix read and checked, with ``yamlnodes``' line numbers), ``batch`` and
``cell`` (``kit batch``: cells run, resumed, interrupted) and ``report`` (``kit report``: HTML
pages and their index)."""
