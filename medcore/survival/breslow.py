"""The Breslow baseline cumulative hazard and the survival curves of a Cox model (no Keras).

* :func:`breslow_baseline`: the Breslow estimate of the baseline cumulative hazard ``H0``, fitted
  after training on the training split's log-risks, by scikit-survival's
  :class:`sksurv.linear_model.coxph.BreslowEstimator` (Breslow's ties: tied events share one
  denominator, the risk set of everyone whose time is at or after theirs).
* :class:`BreslowBaseline`: ``H0`` as a step function over the distinct event times, stored in a
  model card (:meth:`BreslowBaseline.to_dict`).
* :func:`survival_curves`: ``S(t | x) = exp(-H0(t) * exp(log_risk(x)))``.

Why scikit-survival fits but does not evaluate: on Rotterdam (1,546 patients, 173 tied event
times) with a fitted Cox linear predictor, ``BreslowEstimator`` and the estimator written here
before agree to 1e-14 at every event time (``tests/test_survival_breslow.py``), so the fit is
theirs. Its curves are not ours, though: its ``StepFunction`` clips times before the first
event up to that event, so ``S(0 | x) = exp(-H0(t_1) e^eta) < 1`` (up to 0.0025 lower on
Rotterdam, where ``t_1`` = 0.10 years), and it refuses times after the last observed one
(``ValueError``). A survival curve must start at 1 and a 10-year horizon may lie past a
training set's follow-up, so :class:`BreslowBaseline` keeps its own step function: 0 before the
first event time, the last value after the last one. ``BreslowEstimator`` also computes
``exp(log_risk)`` unshifted; the log-risks are shifted by their maximum before the fit (and the
hazard scaled back), so a network's large log-risks cannot overflow.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medcore.errors import DataValidationError
from medcore.survival.data import check_survival_data


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
    ``t_i`` with ``d_i`` events (scikit-survival's ``BreslowEstimator``; see the module
    docstring).

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
    from sksurv.linear_model.coxph import BreslowEstimator

    shift = log_risk.max()
    estimator = BreslowEstimator().fit(log_risk - shift, event.astype(bool), time)
    event_times = np.unique(time[event == 1])
    hazard = estimator.cum_baseline_hazard_(event_times) * np.exp(-shift)
    return BreslowBaseline(event_times, np.atleast_1d(hazard))


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
