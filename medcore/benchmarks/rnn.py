"""``rnn`` benchmark group: latency of the shipped ``pbc_rnn``.

``rnn_predict_ms``: one patient's full visit history (the held-out demo patient with the most
visits), visits table -> survival curve (feature mapping + model call), median of 30 runs.
``rnn_predict_all_visits_ms``: the curves after every visit of that patient in one call (what
the page draws).
"""
from __future__ import annotations

from typing import Any

from medcore import registry
from medcore.benchmarks import median_ms
from medcore.errors import MedcoreError


def run(*, data=None) -> dict[str, Any]:
    """Latency figures in milliseconds, or ``{"rnn_skipped": reason}``."""
    from medcore.models import pbc_rnn

    if not registry.is_available(pbc_rnn.NAME):
        return {"rnn_skipped": "pbc_rnn is not trained (python -m medcore train pbc_rnn)"}
    try:
        model = registry.load_model(pbc_rnn.NAME)
        visits = pbc_rnn.demo_visits(data)
    except MedcoreError as exc:
        return {"rnn_skipped": str(exc)}
    longest = visits.groupby("id").size().idxmax()
    history = visits[visits["id"] == longest]
    return {
        "rnn_history_visits": int(len(history)),
        "rnn_predict_ms": median_ms(lambda: pbc_rnn.predict_survival(model, history)),
        "rnn_predict_all_visits_ms": median_ms(lambda: pbc_rnn.survival_by_visit(model, history)),
    }
