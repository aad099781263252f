"""Output heads the explainers put on top of a model (imports Keras).

shap's explainers take a Keras model's output from its *last layer*, so a wrapper must end in a
layer, not in a bare ``keras.ops`` call. These layers are for explanation only, never saved.
"""
from __future__ import annotations

from typing import Sequence

import keras
import numpy as np


class SelectColumn(keras.layers.Layer):
    """Keep column ``index`` of a ``(n, k)`` output: ``(n, 1)``."""

    def __init__(self, index: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.index = int(index)

    def call(self, inputs):
        return inputs[:, self.index: self.index + 1]


class CenteredMean(keras.layers.Layer):
    """``mean_k(x_k - offsets_k)`` over the last axis, ``(n, k) -> (n, 1)``: an ensemble's mean
    log-risk, each member centred on its average training patient."""

    def __init__(self, offsets: Sequence[float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.offsets = np.asarray(offsets, dtype="float32")

    def call(self, inputs):
        return keras.ops.mean(inputs - self.offsets, axis=-1, keepdims=True)


class SurvivalAtHorizon(keras.layers.Layer):
    """``mean_k exp(-H0_k * exp(log_risk_k))``: Cox survival at the horizon where ``H0_k(t)`` is
    member ``k``'s cumulative baseline hazard (one float for a single model)."""

    def __init__(self, cumulative_baseline_hazard: float | Sequence[float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.hazards = np.atleast_1d(np.asarray(cumulative_baseline_hazard, dtype="float32"))

    def call(self, inputs):
        survival = keras.ops.exp(-self.hazards * keras.ops.exp(inputs))
        return keras.ops.mean(survival, axis=-1, keepdims=True)
