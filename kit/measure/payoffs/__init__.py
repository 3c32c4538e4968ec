"""The payoffs the advice promises, measured on built images: ``distribution`` (push and pull
through a registry), ``rebuild`` (the rebuild after a one-line source edit) and ``capacity``
(images per host)."""
