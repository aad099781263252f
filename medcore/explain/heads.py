"""Output heads the explainers put on top of a model (imports Keras).

shap's explainers take a Keras model's output from its *last layer*, so a wrapper must end in a
layer, not in a bare ``keras.ops`` call. These layers are for explanation only, never saved.
"""
from __future__ import annotations

import keras


class SelectColumn(keras.layers.Layer):
    """Keep column ``index`` of a ``(n, k)`` output: ``(n, 1)``."""

    def __init__(self, index: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.index = int(index)

    def call(self, inputs):
        return inputs[:, self.index: self.index + 1]


class SurvivalAtHorizon(keras.layers.Layer):
    """``exp(-H0 * exp(log_risk))``: Cox survival at the horizon where ``H0(t) = H0``."""

    def __init__(self, cumulative_baseline_hazard: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cumulative_baseline_hazard = float(cumulative_baseline_hazard)

    def call(self, inputs):
        return keras.ops.exp(-self.cumulative_baseline_hazard * keras.ops.exp(inputs))
