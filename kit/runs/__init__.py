"""Running notebooks: ``notebooks`` (one notebook executed with papermill, rendered to HTML),
``matrix`` (a batch matrix read and checked, with ``yamlnodes``' line numbers), ``batch``,
``cell`` and ``batchengine`` (``kit batch``: cells run, resumed, interrupted; the engine held in
use, its containers removed after Ctrl-C) and ``report`` (``kit report``: HTML pages and their
index)."""
