"""Benchmark group ``fnn``: breast_cancer_fnn latency for one patient and batch throughput.

``fnn_predict_ms``: median wall time of :func:`medcore.models.breast_cancer_fnn.predict_proba` on
one patient given as a one-row DataFrame, warm (the Diagnosis page's call: column check, then
``model.predict_on_batch``). ``fnn_batch_rows_per_s``: rows per second through ``predict_proba``
(column check and conversion included) on 10,000 rows: the real WDBC rows repeated (only the
shape matters for timing).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from medcore import registry
from medcore.benchmarks import median_ms, per_second

NAME = "breast_cancer_fnn"
BATCH_ROWS = 10_000


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --json``; ``data`` is unused (data ship with sklearn)."""
    if not registry.is_available(NAME):
        return {"fnn_skipped": f"{NAME} is not trained (python -m medcore train {NAME})"}
    from medcore.datasets.wdbc import load_wdbc
    from medcore.models import breast_cancer_fnn as fnn

    model = registry.load_model(NAME)
    features = load_wdbc().features
    rows = features.iloc[np.arange(BATCH_ROWS) % len(features)].reset_index(drop=True)
    one = features.iloc[:1]
    predict_ms = median_ms(lambda: fnn.predict_proba(model, one), repeats=50, warmup=5)
    per_s = per_second(lambda: fnn.predict_proba(model, rows), BATCH_ROWS, rounds=5)
    return {"fnn_predict_ms": predict_ms, "fnn_batch_rows_per_s": per_s,
            "fnn_batch_rows": BATCH_ROWS}
