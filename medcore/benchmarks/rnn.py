"""``rnn`` benchmark group: latency of a sequence survival model.

The model is the first shipped sequence survival model of the registry (``pbc_rnn``).
``rnn_predict_ms``: one patient's full visit history (the held-out demo patient with the most
visits), visits table -> survival curve (feature mapping + model call), median of 30 runs.
``rnn_predict_all_visits_ms``: the curves after every visit of that patient in one call (what
the page draws).
"""
from __future__ import annotations

from typing import Any

from medcore import registry
from medcore.benchmarks import median_ms, shipped
from medcore.errors import MedcoreError
from medcore.registry import ModelKind


def run(*, data=None) -> dict[str, Any]:
    """Latency figures in milliseconds, or ``{"rnn_skipped": reason}``."""
    spec = shipped(ModelKind.SEQUENCE_SURVIVAL)
    if spec is None:
        return {"rnn_skipped": "no sequence model is trained (python -m medcore train NAME)"}
    module = registry.model_module(spec.name)
    try:
        model = registry.serving_model(spec.name)
        visits = module.demo_visits(data)
    except MedcoreError as exc:
        return {"rnn_skipped": str(exc)}
    longest = visits.groupby("id").size().idxmax()
    history = visits[visits["id"] == longest]
    return {
        "rnn_model": spec.name, "rnn_history_visits": int(len(history)),
        "rnn_predict_ms": median_ms(lambda: module.predict_survival(model, history)),
        "rnn_predict_all_visits_ms": median_ms(lambda: module.survival_by_visit(model, history)),
    }
