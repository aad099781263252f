"""Cox proportional-hazards pieces for neural networks (DeepSurv-style models).

* :func:`cox_negative_log_likelihood`: the negative Cox partial log-likelihood as a Keras loss,
  with **Breslow's** handling of tied event times (every patient whose time equals an event time
  is in that event's risk set, and tied events share one denominator). Without ties it equals
  Efron's and the exact partial likelihood. Averaged over the events in the batch, so train
  **full-batch** (the risk set is the batch).
* :func:`breslow_baseline`: the Breslow estimate of the baseline cumulative hazard, fitted after
  training on the training split's log-risks.
* :func:`survival_curves`: ``S(t | x) = exp(-H0(t) * exp(log_risk(x)))``.
* :class:`Log1pColumns`: a layer applying ``log1p`` to chosen columns, so a saved model can take
  skewed counts and concentrations in raw units.

Keras is imported at module import (this module is for model code, not for the pages' imports).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from medcore.errors import DataValidationError
from medcore.survival_metrics import check_survival_data

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


def survival_targets(time, event) -> np.ndarray:
    """Stack ``time`` and ``event`` into the ``(n, 2)`` float32 target of the loss.

    Raises
    ------
    DataValidationError
        Different lengths, non-finite or negative times, or an event indicator that is not 0/1.
    """
    time, event = check_survival_data(time, event)
    return np.stack([time, event], axis=1).astype("float32")


@dataclass(frozen=True)
class BreslowBaseline:
    """Baseline cumulative hazard ``H0`` as a right-continuous step function.

    Attributes
    ----------
    times : ndarray, shape (t,)
        Distinct event times, increasing.
    cumulative_hazard : ndarray, shape (t,)
        ``H0`` just after each of ``times`` (``H0 = 0`` before the first).
    """

    times: np.ndarray
    cumulative_hazard: np.ndarray

    def at(self, times) -> np.ndarray:
        """``H0(t)`` for each of ``times`` (shape (k,)); 0 before the first event time."""
        times = np.asarray(times, dtype=float)
        index = np.searchsorted(self.times, times, side="right") - 1
        padded = np.concatenate([[0.0], self.cumulative_hazard])
        return padded[index + 1]

    def to_dict(self, digits: int = 6) -> dict[str, list[float]]:
        """JSON-ready ``{"times": [...], "cumulative_hazard": [...]}``."""
        return {"times": [round(float(t), digits) for t in self.times],
                "cumulative_hazard": [float(f"{h:.{digits}g}") for h in self.cumulative_hazard]}

    @classmethod
    def from_dict(cls, values: dict) -> "BreslowBaseline":
        return cls(np.asarray(values["times"], dtype=float),
                   np.asarray(values["cumulative_hazard"], dtype=float))


def breslow_baseline(log_risk, time, event) -> BreslowBaseline:
    """Breslow estimate of the baseline cumulative hazard.

    ``H0(t) = sum_{t_i <= t} d_i / sum_{j: t_j >= t_i} exp(eta_j)`` over distinct event times
    ``t_i`` with ``d_i`` events.

    Parameters
    ----------
    log_risk : array-like, shape (n,)
        Log-risk of the patients the baseline is fitted on (the training split).
    time, event : array-like, shape (n,)

    Returns
    -------
    BreslowBaseline

    Raises
    ------
    DataValidationError
        Invalid survival data, a log-risk of another length, or no events.
    """
    time, event = check_survival_data(time, event)
    log_risk = np.asarray(log_risk, dtype=float).ravel()
    if log_risk.shape != time.shape:
        raise DataValidationError(
            f"log_risk has {log_risk.size} values but time has {time.size}; pass one per patient.")
    if event.sum() == 0:
        raise DataValidationError("no events: the baseline hazard needs at least one event.")
    shift = log_risk.max()
    risk = np.exp(log_risk - shift)
    order = np.argsort(time)
    sorted_time, sorted_risk = time[order], risk[order]
    # risk-set sums: everything at or after each time
    tail = np.cumsum(sorted_risk[::-1])[::-1]
    event_times = np.unique(time[event == 1])
    first = np.searchsorted(sorted_time, event_times, side="left")
    deaths = np.array([event[time == t].sum() for t in event_times])
    hazard = deaths / tail[first] * np.exp(-shift)
    return BreslowBaseline(event_times, np.cumsum(hazard))


def survival_curves(log_risk, baseline: BreslowBaseline, times) -> np.ndarray:
    """``S(t | x) = exp(-H0(t) exp(eta(x)))``.

    Parameters
    ----------
    log_risk : array-like, shape (n,)
    baseline : BreslowBaseline
    times : array-like, shape (t,)

    Returns
    -------
    ndarray, shape (n, t)
        Non-increasing in ``t`` for sorted ``times``; 1 before the first event time.
    """
    log_risk = np.asarray(log_risk, dtype=float).reshape(-1, 1)
    hazard = baseline.at(times).reshape(1, -1)
    return np.exp(-hazard * np.exp(log_risk))
