"""Recurrent network over a patient's visits -> discrete-time survival after the last visit.

One input tensor ``(n, T, F)`` in raw clinical units, visits padded with all-zero rows at the
end. Inside the model, in order:

1. ``Masking(0.0)``: padded rows are skipped by the recurrent layer.
2. :class:`ClinicalPreprocessing`: missing values (NaN) -> fixed fill values (training medians),
   then ``log`` of the skewed laboratory values.
3. ``Normalization`` with the training mean and variance.
4. ``GRU`` (or ``LSTM``): its state after the last real visit summarises the history.
5. ``Dense(num_intervals)`` named ``"hazard_logits"``: logit of the hazard in each interval of a
   fixed time grid (e.g. 20 half-years) after the last visit.
6. :class:`DiscreteSurvival`: ``S_k = prod_{i<=k} (1 - h_i)``, the survival probability at the end
   of each interval. This is the model output, shape ``(n, num_intervals)``.

With ``members > 1``, steps 4-6 are repeated in independent branches (``gru_1``,
``hazard_logits_1``, ...) and the output is the mean of their survival curves (a seed ensemble
in one model, one input tensor).

Training uses the sub-model that ends at ``"hazard_logits"`` (:func:`hazard_model`) with
:func:`discrete_time_loss`, the likelihood of censored data under a discrete-time hazard model.
"""
from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="medcore")
class ClinicalPreprocessing(keras.layers.Layer):
    """Fill missing values and log-transform skewed features, keeping the mask.

    Parameters
    ----------
    fill_values : sequence of float, length F
        Replaces NaN in each feature (the training median, in raw units).
    log_features : sequence of bool, length F
        ``log(max(x, floor))`` is applied to these features after filling.
    floor : float
        Smallest value before the log (guards against zeros).
    """

    def __init__(self, fill_values: Sequence[float], log_features: Sequence[bool],
                 floor: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        if len(fill_values) != len(log_features):
            raise ValueError(
                f"fill_values has {len(fill_values)} entries but log_features has "
                f"{len(log_features)}; expected one of each per feature.")
        self.fill_values = [float(v) for v in fill_values]
        self.log_features = [bool(v) for v in log_features]
        self.floor = float(floor)
        self.supports_masking = True

    def call(self, inputs):
        fill = ops.convert_to_tensor(np.asarray(self.fill_values, dtype="float32"))
        use_log = ops.convert_to_tensor(np.asarray(self.log_features))
        filled = ops.where(ops.isnan(inputs), fill, inputs)
        logged = ops.log(ops.maximum(filled, self.floor))
        return ops.where(use_log, logged, filled)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "fill_values": self.fill_values,
                "log_features": self.log_features, "floor": self.floor}


@keras.saving.register_keras_serializable(package="medcore")
class DiscreteSurvival(keras.layers.Layer):
    """Hazard logits ``(n, K)`` -> survival ``S_k = prod_{i<=k} sigmoid(-logit_i)``, ``(n, K)``."""

    def call(self, logits):
        return ops.exp(ops.cumsum(ops.log_sigmoid(-logits), axis=-1))

    def compute_output_shape(self, input_shape):
        return input_shape


def build_rnn(num_features: int, *, num_intervals: int = 20, units: int = 16,
              cell: str = "gru", members: int = 1, dense_units: int = 0, dropout: float = 0.0,
              l2: float = 1e-4, fill_values: Sequence[float] | None = None,
              log_features: Sequence[bool] | None = None,
              mean: Sequence[float] | None = None, variance: Sequence[float] | None = None,
              name: str = "pbc_rnn") -> keras.Model:
    """Build the (uncompiled) recurrent survival network.

    Parameters
    ----------
    num_features : int
        F, the channels of each visit (times, demographics, laboratory values).
    num_intervals : int
        K, intervals of the time grid after the last visit.
    units : int
        Width of the recurrent layer.
    cell : {"gru", "lstm"}
    members : int
        Independent recurrent branches after the shared preprocessing (an ensemble trained
        jointly; their losses are separate); the output is the mean of their survival curves.
    dense_units : int
        Width of an optional ReLU layer between the recurrent layer and the hazards (0 = none).
    dropout : float
        Dropout on the recurrent layer's inputs.
    l2 : float
        L2 penalty on the kernels.
    fill_values, log_features : sequence, length F, optional
        See :class:`ClinicalPreprocessing`; default: no filling (NaN must not occur), no logs.
    mean, variance : sequence, length F, optional
        Normalisation of the preprocessed features; default: none.

    Returns
    -------
    keras.Model
        Input ``(n, T, F)`` (``T`` may vary), output survival ``(n, K)``.

    Raises
    ------
    ValueError
        A size is not positive, ``cell`` is unknown, or a sequence has the wrong length.
    """
    if min(num_features, num_intervals, units, members) < 1:
        raise ValueError(
            f"num_features={num_features}, num_intervals={num_intervals}, units={units}, "
            f"members={members}; expected positive integers.")
    if cell not in ("gru", "lstm"):
        raise ValueError(f"cell={cell!r}; expected 'gru' or 'lstm'.")
    for label, values in (("fill_values", fill_values), ("log_features", log_features),
                          ("mean", mean), ("variance", variance)):
        if values is not None and len(values) != num_features:
            raise ValueError(f"{label} has {len(values)} entries; expected num_features="
                             f"{num_features}, one per feature.")
    regulariser = keras.regularizers.L2(l2) if l2 else None
    inputs = keras.Input(shape=(None, num_features), name="visits")
    x = keras.layers.Masking(mask_value=0.0, name="padding_mask")(inputs)
    x = ClinicalPreprocessing(
        fill_values if fill_values is not None else [0.0] * num_features,
        log_features if log_features is not None else [False] * num_features,
        name="impute_and_log")(x)
    if mean is not None and variance is not None:
        x = keras.layers.Normalization(mean=list(mean), variance=list(variance),
                                       name="normalise")(x)
    recurrent = keras.layers.GRU if cell == "gru" else keras.layers.LSTM
    curves = []
    for member in range(members):
        suffix = f"_{member + 1}" if members > 1 else ""
        h = recurrent(units, dropout=dropout, kernel_regularizer=regulariser,
                      name=f"{cell}{suffix}")(x)
        if dense_units:
            h = keras.layers.Dense(dense_units, activation="relu",
                                   kernel_regularizer=regulariser, name=f"dense{suffix}")(h)
        logits = keras.layers.Dense(num_intervals, kernel_regularizer=regulariser,
                                    name=f"hazard_logits{suffix}")(h)
        curves.append(DiscreteSurvival(name=f"survival{suffix}")(logits))
    survival = curves[0] if members == 1 else keras.layers.Average(name="survival")(curves)
    return keras.Model(inputs, survival, name=name)


def hazard_model(model: keras.Model) -> keras.Model:
    """The sub-model ending at the hazard logits (shares weights with ``model``).

    One output ``"hazard_logits"``, or a list of ``"hazard_logits_1"``, ... for an ensemble.
    """
    names = sorted(layer.name for layer in model.layers
                   if layer.name.startswith("hazard_logits"))
    outputs = [model.get_layer(n).output for n in names]
    return keras.Model(model.input, outputs[0] if len(outputs) == 1 else outputs,
                       name=f"{model.name}_hazards")


def discrete_time_loss(y_true, logits):
    """Negative log-likelihood of a discrete-time hazard model with censoring.

    Parameters
    ----------
    y_true : tensor, shape (n, K, 2)
        ``[..., 0]``: 1 in the interval of a death; ``[..., 1]``: 1 in every interval the patient
        was observed at risk (up to and including the death interval; censored patients up to the
        last interval survived).
    logits : tensor, shape (n, K)
        Hazard logits.

    Returns
    -------
    tensor, shape (n,)
        Per-sample loss: sum over at-risk intervals of the binary cross-entropy.
    """
    event = ops.cast(y_true[..., 0], logits.dtype)
    at_risk = ops.cast(y_true[..., 1], logits.dtype)
    # binary cross-entropy with logits, written out for numerical stability
    bce = ops.maximum(logits, 0.0) - logits * event + ops.log1p(ops.exp(-ops.abs(logits)))
    return ops.sum(bce * at_risk, axis=-1)


def discrete_time_targets(time: np.ndarray, event: np.ndarray,
                          edges: np.ndarray) -> np.ndarray:
    """Encode follow-up times on a grid for :func:`discrete_time_loss`.

    Parameters
    ----------
    time : ndarray, shape (n,)
        Time from the prediction (last visit) to death or censoring, in the units of ``edges``.
    event : ndarray, shape (n,)
        1 = death, 0 = censored.
    edges : ndarray, shape (K + 1,)
        Interval edges, ``edges[0] == 0``, increasing.

    Returns
    -------
    ndarray, shape (n, K, 2), float32
        A death in ``(edges[j], edges[j+1]]`` sets event at ``j`` and at-risk up to ``j``. A
        censoring in interval ``j`` counts as surviving ``j`` when it falls after the interval's
        midpoint, else up to ``j - 1``. Times beyond the grid survive every interval.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(bool)
    edges = np.asarray(edges, dtype=float)
    if time.shape != event.shape:
        raise ValueError(f"time has shape {time.shape} but event has {event.shape}; "
                         "expected one event flag per time.")
    if (time < 0).any():
        raise ValueError("observed time contains values smaller zero")
    num_intervals = edges.size - 1
    index = np.clip(np.searchsorted(edges, time, side="left") - 1, 0, None)
    beyond = time > edges[-1]
    targets = np.zeros((time.size, num_intervals, 2), dtype="float32")
    grid = np.arange(num_intervals)
    for i in range(time.size):
        if beyond[i]:
            targets[i, :, 1] = 1.0
            continue
        j = index[i]
        if event[i]:
            targets[i, j, 0] = 1.0
            last = j
        else:
            midpoint = 0.5 * (edges[j] + edges[j + 1])
            last = j if time[i] >= midpoint else j - 1
        targets[i, :, 1] = grid <= last
    return targets
