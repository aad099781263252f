"""Post-hoc recalibration of predicted survival at a horizon (Platt scaling on the logit).

A model whose ranking is good but whose probabilities are too extreme (survival predicted near 0
for patients of whom a quarter were in fact alive) is corrected by one monotone map fitted on
predictions for patients the model never saw (out-of-fold or validation predictions, never the
evaluation folds)::

    logit S_cal = intercept + slope * logit S

fitted by logistic regression of "alive at the horizon" on ``logit S``, with inverse probability
of censoring weights (IPCW; patients censored alive before the horizon carry no outcome and their
weight goes to the patients still followed, censoring estimated by Kaplan-Meier). The map is
increasing (``slope > 0`` is required), so it keeps every ranking and every C-index; applied to a
whole curve it keeps the curve decreasing, and ``S = 1`` stays 1.

Only NumPy at import; lifelines / scikit-learn are imported by :func:`fit_logit_recalibration`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from medcore.survival.data import check_survival_data

#: Predicted survival is clipped to [EPS, 1 - EPS] before the logit (finite everywhere; small
#: enough that no two distinct float32 predictions become tied).
EPS = 1e-15


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), EPS, 1.0 - EPS)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class LogitRecalibration:
    """``S_cal = expit(intercept + slope * logit(S))``; fitted at ``horizon`` years on ``n``
    predictions (``description`` says which)."""

    intercept: float
    slope: float
    horizon: float
    n: int
    description: str = ""

    def apply(self, survival: np.ndarray) -> np.ndarray:
        """Recalibrated survival, same shape as ``survival``; exactly 1 where ``survival >= 1``."""
        survival = np.asarray(survival, dtype=float)
        z = self.intercept + self.slope * _logit(survival)
        calibrated = 1.0 / (1.0 + np.exp(-z))
        return np.where(survival >= 1.0, 1.0, calibrated)

    def to_dict(self) -> dict[str, Any]:
        return {"method": "logit (Platt) recalibration of survival at the horizon, IPCW "
                          "logistic regression", "intercept": self.intercept,
                "slope": self.slope, "horizon": self.horizon, "n": self.n,
                "description": self.description}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogitRecalibration:
        """From :meth:`to_dict`'s output.

        Raises
        ------
        ValueError
            A field is missing or the slope is not positive.
        """
        missing = [k for k in ("intercept", "slope", "horizon", "n") if k not in data]
        if missing:
            raise ValueError(f"the recalibration lacks {', '.join(missing)}; expected intercept, "
                             "slope, horizon and n (see LogitRecalibration.to_dict).")
        if not float(data["slope"]) > 0:
            raise ValueError(f"recalibration slope={data['slope']}; expected a positive slope "
                             "(an increasing map).")
        return cls(float(data["intercept"]), float(data["slope"]), float(data["horizon"]),
                   int(data["n"]), str(data.get("description", "")))


def ipcw_outcome(time, event, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Alive at ``horizon`` (1/0) and its IPCW weight per patient (0 = censored before it).

    Parameters
    ----------
    time, event : array-like, shape (n,)
        Follow-up (same unit as ``horizon``) and 1 = event.

    Returns
    -------
    alive : ndarray, shape (n,), 1 = event-free at the horizon
    weight : ndarray, shape (n,), ``1 / G(min(time, horizon)-)`` with ``G`` the Kaplan-Meier
        probability of being still uncensored (lifelines), 0 for patients censored before the
        horizon.
    """
    from lifelines import KaplanMeierFitter

    time, event = check_survival_data(time, event)
    censoring = KaplanMeierFitter().fit(time, 1 - event)
    alive = (time >= horizon).astype(float)
    known = (alive == 1) | (event == 1)
    # G just before min(time, horizon): a death at t is not censored at t, and follow-up
    # truncated at the horizon (landmark windows) is not censoring before it
    at = np.maximum(np.minimum(time, horizon) - 1e-9, 0.0)
    g = censoring.survival_function_at_times(at).to_numpy()
    weight = np.where(known, 1.0 / np.maximum(g, 1e-3), 0.0)
    return alive, weight


def fit_logit_recalibration(predicted_survival, time, event, horizon: float, *,
                            description: str = "") -> LogitRecalibration:
    """Fit the logit map on predictions for patients the model did not learn from.

    Parameters
    ----------
    predicted_survival : array-like, shape (n,)
        Predicted ``S(horizon)`` per patient.
    time, event : array-like, shape (n,)
        Observed follow-up and events (times may be truncated at the horizon).
    horizon : float

    Raises
    ------
    ValueError
        No patient with a known outcome at the horizon, or a fit that is not increasing.
    """
    from sklearn.linear_model import LogisticRegression

    predicted = np.asarray(predicted_survival, dtype=float).ravel()
    alive, weight = ipcw_outcome(time, event, horizon)
    keep = weight > 0
    if keep.sum() < 10 or np.unique(alive[keep]).size < 2:
        raise ValueError(f"{int(keep.sum())} patients have a known outcome at {horizon:g} years; "
                         "expected at least 10, some alive and some not, to fit a recalibration.")
    x = _logit(predicted[keep])[:, None]
    fit = LogisticRegression(C=np.inf, max_iter=1000).fit(x, alive[keep],
                                                              sample_weight=weight[keep])
    slope = float(fit.coef_[0, 0])
    if slope <= 0:
        raise ValueError(f"the recalibration slope is {slope:.3g}; expected a positive slope "
                         "(predictions unrelated to the outcome cannot be recalibrated).")
    return LogitRecalibration(float(fit.intercept_[0]), slope, float(horizon),
                              int(predicted.size), description)
