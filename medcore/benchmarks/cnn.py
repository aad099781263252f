"""Benchmark group ``cnn``: latency of one image classifier's prediction and batch throughput.

The model is the first shipped image classifier of the registry (``pneumonia_cnn``).
``cnn_predict_ms``: median wall time of its module's ``predict`` on one 28 x 28 image, warm
(the Diagnosis page's call: the serving model, i.e. the LiteRT export run on one thread, giving
the probability and each member's, then the spread). ``cnn_keras_predict_ms``: the same call
with the Keras serving model (one traced TensorFlow graph, ``engine="keras"``) and
``cnn_eager_call_ms``: an eager ``keras_model(x, training=False)``, for comparison.
``cnn_batch_images_per_s``: images per second through ``predict`` on batches of 256 inputs
(test images when the data file is found, else uniform noise of the same shape: only the shape
matters for timing).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from medcore import registry
from medcore.benchmarks import median_ms, per_second, shipped
from medcore.errors import MedcoreError
from medcore.registry import ModelKind

BATCH = 256


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --json``."""
    spec = shipped(ModelKind.IMAGE_CLASSIFIER)
    if spec is None:
        return {"cnn_skipped": "no image classifier is trained (python -m medcore train NAME)"}
    module = registry.model_module(spec.name)
    model = registry.serving_model(spec.name)
    keras_model = registry.load_model(spec.name)
    keras_served = registry.serving_model(spec.name, engine="keras", keras_model=keras_model)
    try:
        images = module.test_inputs(data)[0][:BATCH].astype(np.float32)
        source = "test images"
    except MedcoreError:
        images = np.random.default_rng(0).uniform(0, 255, (BATCH, 28, 28, 1)).astype(np.float32)
        source = "noise of the input shape (data file absent)"
    one = images[:1]
    predict_ms = median_ms(lambda: module.predict(model, one), repeats=50, warmup=5)
    keras_ms = median_ms(lambda: module.predict(keras_served, one), repeats=50, warmup=5)
    eager_ms = median_ms(lambda: keras_model(one, training=False), repeats=20, warmup=3)
    per_s = per_second(lambda: module.predict(model, images), len(images), rounds=5)
    return {"cnn_model": spec.name, "cnn_predict_ms": predict_ms,
            "cnn_keras_predict_ms": keras_ms, "cnn_eager_call_ms": eager_ms,
            "cnn_batch_images_per_s": per_s, "cnn_batch_size": len(images),
            "cnn_inputs": source}
