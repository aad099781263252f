"""Post-hoc recalibration of predicted survival at a horizon (Platt scaling on the logit, with a
floor).

A model whose ranking is good but whose probabilities are too extreme (survival predicted near 0
for patients of whom a quarter were in fact alive) is corrected by one monotone map fitted on
predictions for patients the model never saw (out-of-fold or validation predictions, never the
evaluation folds)::

    S_cal = floor + (1 - floor) * expit(intercept + slope * logit S)

Platt scaling alone (``floor = 0``: a logistic regression of "alive at the horizon" on
``logit S``) leaves the lowest predictions far below what is observed among them when a model is
over-confident at one end only (PBC: the lowest tenth of out-of-fold predictions averaged 4% after
Platt scaling, 16% observed); the floor, the survival the map never goes below, is the third
parameter. All three are fitted by maximum likelihood of "alive at the horizon" with inverse
probability of censoring weights (IPCW; patients censored alive before the horizon carry no
outcome and their weight goes to the patients still followed, censoring estimated by
Kaplan-Meier). The map is increasing (``slope > 0``), so it keeps every ranking and every C-index;
applied to a whole curve it keeps the curve decreasing, and ``S = 1`` stays 1.

Only NumPy at import; lifelines / SciPy are imported by :func:`fit_logit_recalibration`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from medcore.survival.data import check_survival_data

#: The floor is searched in [0, MAX_FLOOR).
MAX_FLOOR = 0.5
#: Predicted survival is clipped to [EPS, 1 - EPS] before the logit (finite everywhere; small
#: enough that no two distinct float32 predictions become tied).
EPS = 1e-15


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), EPS, 1.0 - EPS)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class LogitRecalibration:
    """``S_cal = floor + (1 - floor) * expit(intercept + slope * logit(S))``; fitted at
    ``horizon`` years on ``n`` predictions (``description`` says which)."""

    intercept: float
    slope: float
    horizon: float
    n: int
    description: str = ""
    floor: float = 0.0

    def apply(self, survival: np.ndarray) -> np.ndarray:
        """Recalibrated survival, same shape as ``survival``; exactly 1 where ``survival >= 1``."""
        survival = np.asarray(survival, dtype=float)
        z = self.intercept + self.slope * _logit(survival)
        calibrated = self.floor + (1.0 - self.floor) / (1.0 + np.exp(-z))
        return np.where(survival >= 1.0, 1.0, calibrated)

    def to_dict(self) -> dict[str, Any]:
        return {"method": "logit (Platt) recalibration with a floor of survival at the horizon, "
                          "IPCW maximum likelihood", "intercept": self.intercept,
                "slope": self.slope, "floor": self.floor, "horizon": self.horizon, "n": self.n,
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
        floor = float(data.get("floor", 0.0))
        if not 0.0 <= floor < 1.0:
            raise ValueError(f"recalibration floor={floor}; expected a survival in [0, 1).")
        return cls(float(data["intercept"]), float(data["slope"]), float(data["horizon"]),
                   int(data["n"]), str(data.get("description", "")), floor)


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
                            description: str = "", floor: bool = True) -> LogitRecalibration:
    """Fit the map on predictions for patients the model did not learn from.

    Parameters
    ----------
    predicted_survival : array-like, shape (n,)
        Predicted ``S(horizon)`` per patient.
    time, event : array-like, shape (n,)
        Observed follow-up and events (times may be truncated at the horizon).
    horizon : float
    floor : bool
        Fit the floor (default); ``False`` = Platt scaling (floor 0).

    Raises
    ------
    ValueError
        No patient with a known outcome at the horizon, or a fit that is not increasing.
    """
    from scipy.optimize import minimize

    predicted = np.asarray(predicted_survival, dtype=float).ravel()
    alive, weight = ipcw_outcome(time, event, horizon)
    keep = weight > 0
    if keep.sum() < 10 or np.unique(alive[keep]).size < 2:
        raise ValueError(f"{int(keep.sum())} patients have a known outcome at {horizon:g} years; "
                         "expected at least 10, some alive and some not, to fit a recalibration.")
    z, y, w = _logit(predicted[keep]), alive[keep], weight[keep] / weight[keep].mean()

    def unpack(theta):       # slope > 0 and floor in [0, MAX_FLOOR) by construction
        a, log_b, c = theta
        return a, np.exp(log_b), (MAX_FLOOR / (1.0 + np.exp(-c)) if floor else 0.0)

    def loss(theta):
        a, b, f = unpack(theta)
        q = np.clip(f + (1.0 - f) / (1.0 + np.exp(-(a + b * z))), 1e-12, 1.0 - 1e-12)
        return -np.mean(w * (y * np.log(q) + (1.0 - y) * np.log1p(-q)))

    fit = minimize(loss, np.array([0.0, 0.0, -3.0]), method="Nelder-Mead",
                   options={"maxiter": 5000, "xatol": 1e-7, "fatol": 1e-10})
    a, b, f = unpack(fit.x)
    return LogitRecalibration(float(a), float(b), float(horizon), int(predicted.size),
                              description, float(f))
