"""Survival data as every survival function here takes it: ``time`` and ``event``, one per patient.

* :func:`check_survival_data`: the checks, with scikit-survival's messages where it has one.
* :func:`survival_targets`: the ``(n, 2)`` target of the Cox loss
  (:func:`medcore.survival.cox.cox_negative_log_likelihood`).
"""
from __future__ import annotations

import numpy as np

from medcore.errors import DataValidationError


def check_survival_data(time, event) -> tuple[np.ndarray, np.ndarray]:
    """Validate survival data; return ``(time float64, event float64)`` of shape (n,).

    Raises
    ------
    DataValidationError
        Different lengths, non-finite or negative times, or an event indicator that is not 0/1.
    """
    time = np.asarray(time, dtype=float).ravel()
    event = np.asarray(event).ravel()
    if time.shape != event.shape:
        raise DataValidationError(
            f"time has {time.size} values but event has {event.size}; pass one of each per "
            "patient.")
    if not np.isfinite(time).all():
        raise DataValidationError("observed time contains NaN or infinite values; drop them.")
    if (time < 0).any():
        raise DataValidationError("observed time contains values smaller zero")
    if not np.isin(event, (0, 1, True, False)).all():
        raise DataValidationError("event indicator must be binary (0 or 1)")
    return time, event.astype(float)


def survival_targets(time, event) -> np.ndarray:
    """Stack ``time`` and ``event`` into the ``(n, 2)`` float32 target of the loss.

    Raises
    ------
    DataValidationError
        Different lengths, non-finite or negative times, or an event indicator that is not 0/1.
    """
    time, event = check_survival_data(time, event)
    return np.stack([time, event], axis=1).astype("float32")
