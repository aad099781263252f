"""The Keras pieces of Cox proportional-hazards networks (DeepSurv-style models).

* :func:`cox_negative_log_likelihood`: the negative Cox partial log-likelihood as a Keras loss,
  with **Breslow's** handling of tied event times (every patient whose time equals an event time
  is in that event's risk set, and tied events share one denominator). Without ties it equals
  Efron's and the exact partial likelihood. Averaged over the events in the batch, so train
  **full-batch** (the risk set is the batch). Its target is
  :func:`medcore.survival.data.survival_targets`.
* :class:`Log1pColumns`: a layer applying ``log1p`` to chosen columns, so a saved model can take
  skewed counts and concentrations in raw units. Registered with Keras as ``medcore>Log1pColumns``
  (the name the shipped ``breast_cancer_deepsurv.keras`` refers to): importing this module is what
  lets Keras load that file, so the model card names it as ``"custom_objects_module"``.

The Breslow baseline fitted after training and the survival curves are in
:mod:`medcore.survival.breslow` (no Keras). Keras is imported at module import: this module is for
model code, not for the pages' imports.
"""
from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

TIES = "breslow"


@keras.saving.register_keras_serializable(package="medcore")
class Log1pColumns(keras.layers.Layer):
    """Apply ``log1p`` to the columns ``columns`` of a ``(n, features)`` input; others pass.

    Parameters
    ----------
    columns : sequence of int
        Column indices (non-negative raw values expected there, e.g. counts, fmol/l).
    """

    def __init__(self, columns: Sequence[int] = (), **kwargs):
        super().__init__(**kwargs)
        self.columns = [int(c) for c in columns]

    def build(self, input_shape):
        width = int(input_shape[-1])
        mask = np.zeros((width,), dtype="float32")
        mask[self.columns] = 1.0
        self._mask = mask

    def call(self, inputs):
        mask = ops.convert_to_tensor(self._mask, dtype=inputs.dtype)
        logged = ops.log1p(ops.maximum(inputs, 0.0))
        return mask * logged + (1.0 - mask) * inputs

    def get_config(self):
        return {**super().get_config(), "columns": self.columns}


def cox_negative_log_likelihood(y_true, y_pred):
    """Negative Cox partial log-likelihood (Breslow ties), averaged over events.

    ``-(1/d) * sum_{i: event} [eta_i - log sum_{j: t_j >= t_i} exp(eta_j)]`` with ``d`` the
    number of events in the batch (at least 1).

    Parameters
    ----------
    y_true : tensor, shape (n, 2)
        Column 0: time; column 1: event indicator (1 = event, 0 = censored).
    y_pred : tensor, shape (n, 1) or (n,)
        Log-risk ``eta``.

    Returns
    -------
    scalar tensor
    """
    y_true = ops.cast(y_true, "float32")
    time = y_true[:, 0]
    event = y_true[:, 1]
    log_risk = ops.reshape(ops.cast(y_pred, "float32"), (-1,))
    at_risk = ops.cast(time[None, :] >= time[:, None], "float32")  # [i, j]: j in risk set of i
    shift = ops.stop_gradient(ops.max(log_risk))
    denominator = ops.sum(at_risk * ops.exp(log_risk - shift)[None, :], axis=1)
    log_denominator = ops.log(denominator) + shift
    num_events = ops.maximum(ops.sum(event), 1.0)
    return -ops.sum(event * (log_risk - log_denominator)) / num_events
