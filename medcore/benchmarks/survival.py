"""Benchmark group ``survival``: a survival model's latency for one patient's curve.

The model is the first shipped survival model of the registry (``breast_cancer_deepsurv``).
``survival_predict_ms``: median wall time, warm, of what the Survival page computes for one
patient: its module's ``predict`` on a one-row DataFrame (column check, the ensemble's forward
pass for all members, Breslow baselines, curves on a grid of 0.05 years with mean and band).
``survival_score_rows_per_s``: rows per second through ``score_records`` (survival at 1/3/5
years and the band) on 10,000 rows: the test rows repeated (only the shape matters for timing).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from medcore import registry
from medcore.benchmarks import median_ms, per_second, shipped
from medcore.registry import ModelKind

BATCH_ROWS = 10_000


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --json``; ``data``: the model's data folder
    (optional, the bundled copy otherwise)."""
    spec = shipped(ModelKind.SURVIVAL)
    if spec is None:
        return {"survival_skipped": "no survival model is trained (python -m medcore train NAME)"}
    module = registry.model_module(spec.name)
    model = registry.serving_model(spec.name)
    test = pd.DataFrame(module.test_inputs(data)[0], columns=list(module.FEATURE_NAMES))
    one = test.iloc[:1]
    predict_ms = median_ms(lambda: module.predict(model, one), repeats=50, warmup=5)
    rows = test.iloc[np.arange(BATCH_ROWS) % len(test)].reset_index(drop=True)
    per_s = per_second(lambda: module.score_records(model, rows), BATCH_ROWS, rounds=3)
    members = int(model(module.model_input(one))["log_risk"].shape[1])
    return {"survival_model": spec.name, "survival_predict_ms": predict_ms,
            "survival_score_rows_per_s": per_s, "survival_ensemble_members": members,
            "survival_curve_points": int(len(module.predict(model, one).times))}
