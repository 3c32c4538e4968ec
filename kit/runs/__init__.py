"""Running notebooks: ``notebooks`` (one notebook executed with papermill, rendered to HTML),
``matrix`` (a batch matrix read and checked, with ``yamlnodes``' line numbers), ``batch``,
``cell`` and ``batchengine`` (``kit batch``: cells run, resumed, interrupted; the engine held in
use, its containers removed after Ctrl-C; ``state``: ``batch.json``) and ``report`` (``kit
report``: ``pages`` per notebook, the ``index``, the headlines ``summaries`` reads back);
``portable`` keeps executed notebooks free of the machine's folders."""
