"""Benchmark group ``fnn``: a tabular classifier's latency for one patient and batch throughput.

The model is the first shipped tabular classifier of the registry (``breast_cancer_fnn``).
``fnn_predict_ms``: median wall time of its module's ``predict`` on one patient given as a
one-row DataFrame, warm (the Diagnosis page's call: column check, then the serving model).
``fnn_batch_rows_per_s``: rows per second through ``predict`` (column check and conversion
included) on 10,000 rows: the model's test rows repeated (only the shape matters for timing).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from medcore import registry
from medcore.benchmarks import median_ms, per_second, shipped
from medcore.registry import ModelKind

BATCH_ROWS = 10_000


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --json``."""
    spec = shipped(ModelKind.TABULAR_CLASSIFIER)
    if spec is None:
        return {"fnn_skipped": "no tabular classifier is trained (python -m medcore train NAME)"}
    module = registry.model_module(spec.name)
    model = registry.serving_model(spec.name)
    features = module.test_inputs(data)[0]
    rows = features.iloc[np.arange(BATCH_ROWS) % len(features)].reset_index(drop=True)
    one = features.iloc[:1]
    predict_ms = median_ms(lambda: module.predict(model, one), repeats=50, warmup=5)
    per_s = per_second(lambda: module.predict(model, rows), BATCH_ROWS, rounds=5)
    return {"fnn_model": spec.name, "fnn_predict_ms": predict_ms, "fnn_batch_rows_per_s": per_s,
            "fnn_batch_rows": BATCH_ROWS}
