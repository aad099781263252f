"""A fifth model, as a maintainer would add one: this module (the ``ModelModule`` calls) and
:data:`SPEC` (its registry entry; its page section is the Explanation page's own). Nothing else.

A tiny feed-forward classifier of a synthetic outcome from three numbers, trained in a second.
Used by ``tests/test_fifth_model.py``, which registers it with
``registry.register(SPEC, models_dir=...)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from medcore import registry
from medcore.cards import ModelCard
from medcore.registry import ExplainTarget, ModelKind, ModelSpec, Section

NAME = "toy_fnn"
FEATURE_NAMES: tuple[str, ...] = ("marker_a", "marker_b", "marker_c")

SPEC = ModelSpec(
    name=NAME, title="Toy outcome from three markers", kind=ModelKind.TABULAR_CLASSIFIER,
    module=__name__, population="80 synthetic patients made by the test, seed 0",
    sections=(Section("Explanation", "Toy markers (FNN)", "ui.explanation"),),
    explain_targets=(ExplainTarget("probability", "probability", "probability of the toy outcome",
                                   "probability"),),
    input_hint="no page makes its input yet; use a test example")


def _data() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).normal(size=(80, 3)).astype("float32")
    return x, (x[:, 0] - x[:, 1] > 0).astype("float32")


def model_input(source: Any) -> np.ndarray:
    if isinstance(source, pd.DataFrame):
        return source[list(FEATURE_NAMES)].to_numpy("float32")
    return np.atleast_2d(np.asarray(source, dtype="float32"))


@dataclass(frozen=True)
class Prediction:
    probability: np.ndarray


def serving_graph(model: Any) -> Any:
    import keras

    return keras.Model(model.inputs, {"probability": model.outputs[0]})


def predict(model: Any, inputs: Any) -> Prediction:
    return Prediction(model(model_input(inputs))["probability"][:, 0])


def score_records(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(probability=predict(model, frame).probability)


def test_inputs(data: Any = None) -> tuple[np.ndarray, np.ndarray]:
    x, y = _data()
    return x[60:], y[60:]


test_inputs.__test__ = False          # a protocol call, not a pytest test


def training_background(n: int = 100, seed: int = 0, data: Any = None) -> np.ndarray:
    return _data()[0][:min(n, 60)]


def explained_model(model: Any, card: ModelCard, target: str) -> Any:
    return model


def train(*, data: Any = None, seed: int = 0, models_dir: Any = None) -> ModelCard:
    import keras

    from medcore.networks.feedforward import build_feedforward

    keras.utils.set_random_seed(seed)
    x, y = _data()
    model = build_feedforward(3, hidden_units=(4,), dropout=0.0, normalizer=x[:60], name=NAME)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    model.fit(x[:60], y[:60], epochs=30, batch_size=60, verbose=0)
    return registry.save_model(model, NAME, {
        "model_details": {"summary": "4 hidden units", "seed": seed, "training_time_s": 1.0},
        "intended_use": {"primary_uses": "a test", "out_of_scope_uses": "anything else"},
        "factors": {"population": SPEC.population},
        "metrics": {"measures": ["auc"], "intervals": "none"},
        "evaluation_data": {"description": "the last 20 synthetic rows"},
        "training_data": {"description": "the first 60 synthetic rows"},
        "quantitative_analyses": {}, "caveats": "synthetic",
        "input_contract": {"description": "three numbers", "output": "P(toy outcome)",
                           "feature_names": list(FEATURE_NAMES)},
        "threshold": {"value": 0.5, "rule": "a fixed half"}}, models_dir)


def evaluate(*, data: Any = None, models_dir: Any = None, engine: str = "litert") -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    x, y = test_inputs()
    p = predict(registry.serving_model(NAME, models_dir, engine=engine), x).probability
    return {"model": NAME, "dataset": "synthetic", "n_test": len(y),
            "test": {"auc": float(roc_auc_score(y, p))}, "baselines": {}, "engine": engine}
