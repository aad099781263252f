"""One module per shipped model: its data, training (``train``), evaluation (``evaluate``) and
prediction helpers. The command line finds them through ``medcore.registry.MODEL_MODULES``."""
