"""Benchmark group ``cnn``: latency of one pneumonia_cnn prediction and batch throughput.

``cnn_predict_ms``: median wall time of :func:`medcore.models.pneumonia_cnn.predict` on one
28 x 28 image, warm (the Diagnosis page's call: the model's layers called directly as one traced
graph, probability and member spread; no ``model.predict``). ``cnn_eager_call_ms``: the same
image through an eager ``model(x, training=False)``, for comparison. ``cnn_batch_images_per_s``:
images per second through ``predict`` on batches of 256 inputs (PneumoniaMNIST test images when the data
file is found, else uniform noise of the same shape: only the shape matters for timing).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from medcore import registry
from medcore.benchmarks import median_ms, per_second
from medcore.errors import MedcoreError

BATCH = 256


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --json``."""
    if not registry.is_available("pneumonia_cnn"):
        return {"cnn_skipped": "pneumonia_cnn is not trained (python -m medcore train pneumonia_cnn)"}
    from medcore.models import pneumonia_cnn

    model = registry.load_model("pneumonia_cnn")
    try:
        images = pneumonia_cnn.test_inputs(data)[0][:BATCH].astype(np.float32)
        source = "PneumoniaMNIST test images"
    except MedcoreError:
        images = np.random.default_rng(0).uniform(0, 255, (BATCH, 28, 28, 1)).astype(np.float32)
        source = "noise of the input shape (data file absent)"
    one = images[:1]
    predict_ms = median_ms(lambda: pneumonia_cnn.predict(model, one), repeats=50, warmup=5)
    eager_ms = median_ms(lambda: model(one, training=False), repeats=20, warmup=3)
    per_s = per_second(lambda: pneumonia_cnn.predict(model, images), len(images), rounds=5)
    return {"cnn_predict_ms": predict_ms, "cnn_eager_call_ms": eager_ms,
            "cnn_batch_images_per_s": per_s, "cnn_batch_size": len(images),
            "cnn_inputs": source}
