"""One module per shipped model, each offering the calls of :class:`ModelModule`.

The registry (:mod:`medcore.registry`) names the module of each model in its spec; the pages,
the explanations, the benchmarks and the command line reach a model only through these calls.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from medcore.cards import ModelCard
    from medcore.serving import ServingModel


@runtime_checkable
class ModelModule(Protocol):
    """What every ``medcore.models.NAME`` module offers, with the same shapes.

    Serving (no Keras asked of ``model``: it is only called, see :mod:`medcore.serving`):

    - ``predict(model, inputs) -> Prediction``: the module's frozen ``Prediction`` for a batch
      of inputs (a frame of records, images, a visits table, or the model-input array).
    - ``score_records(model, frame) -> DataFrame``: one scored row per record or patient.
    - ``serving_graph(keras_model)``: the Keras graph whose named outputs the serving model
      returns (``{"probability": ...}``; ``{"log_risk": ...}``).

    Training and evaluation: ``train(*, data, seed, models_dir) -> ModelCard`` and
    ``evaluate(*, data, models_dir, engine) -> dict`` (the public ``evaluate --json`` object;
    ``engine``, ``"litert"`` by default or ``"keras"``, is the runtime that scores the model,
    :func:`medcore.registry.serving_model`, and is recorded in the object).

    Explanation (Keras, gradients): ``FEATURE_NAMES`` (empty for images),
    ``model_input(source)`` (the ``float32`` model input from what the pages hold),
    ``test_inputs(data)`` (inputs first), ``training_background(n, seed, data)`` (a SHAP
    background) and ``explained_model(keras_model, card, target)`` (the single-output model
    explained for an explain target of the spec).
    """

    NAME: str
    FEATURE_NAMES: tuple[str, ...]

    def predict(self, model: ServingModel, inputs: Any, /) -> Any: ...

    def score_records(self, model: ServingModel, frame: pd.DataFrame, /) -> pd.DataFrame: ...

    def serving_graph(self, model: Any, /) -> Any: ...

    def train(self, *, data: Any = None, seed: int = 0, models_dir: Any = None) -> ModelCard: ...

    def evaluate(self, *, data: Any = None, models_dir: Any = None,
                 engine: str = "litert") -> dict[str, Any]: ...

    def model_input(self, source: Any, /) -> np.ndarray: ...

    def test_inputs(self, data: Any = None) -> tuple[Any, ...]: ...

    def training_background(self, n: int = 100, seed: int = 0,
                            data: Any = None) -> np.ndarray: ...

    def explained_model(self, model: Any, card: ModelCard, target: str, /) -> Any: ...
