"""Survival metrics: thin wrappers over lifelines and scikit-survival, for any survival model.

Every function takes plain arrays (``time``, ``event`` of shape (n,), predictions of shape (n,) or
(n, t)), so any model (a Cox network, a recurrent landmark model, a Cox PH or a random survival
forest baseline) is scored the same way:

* :func:`harrell_c`: Harrell's concordance (lifelines ``concordance_index``).
* :func:`uno_c`: Uno's IPCW concordance up to ``tau`` (scikit-survival ``concordance_index_ipcw``).
* :func:`integrated_brier`: integrated Brier score over a time grid (scikit-survival).
* :func:`calibration_at`: predicted vs Kaplan-Meier observed survival at a horizon, by risk group.
* :func:`calibration_deciles`: the same by decile, as ``[{"predicted", "observed", "n"}, ...]``.
* :func:`kaplan_meier`: a Kaplan-Meier curve with its 95% band (lifelines), e.g. for plots.
* :func:`survival_report`: all of the above as one JSON-ready dict.

The censoring distribution the IPCW metrics need (Uno's C, Brier) is estimated by Kaplan-Meier on
``censoring_time`` / ``censoring_event``; by default the evaluated data themselves (the test set's
own censoring, which is what the weights correct for).
"""
from __future__ import annotations

import numpy as np

from medcore.survival.data import check_survival_data

__all__ = ["check_survival_data", "harrell_c", "uno_c", "integrated_brier", "brier_at",
           "calibration_at", "calibration_deciles", "kaplan_meier", "survival_report"]


def _structured(time, event):
    from sksurv.util import Surv

    time, event = check_survival_data(time, event)
    return Surv.from_arrays(event=event.astype(bool), time=time)


def harrell_c(time, event, log_risk) -> float:
    """Harrell's C: share of comparable pairs ordered correctly (higher risk, earlier event).

    Parameters
    ----------
    time, event : array-like, shape (n,)
    log_risk : array-like, shape (n,)
        Any risk score, higher = worse (log-risk, hazard, minus predicted survival).
    """
    from lifelines.utils import concordance_index

    time, event = check_survival_data(time, event)
    return float(concordance_index(time, -np.asarray(log_risk, dtype=float).ravel(), event))


def uno_c(time, event, log_risk, *, tau: float | None = None, censoring_time=None,
          censoring_event=None) -> float:
    """Uno's C (IPCW concordance) over pairs with the earlier time below ``tau``.

    Parameters
    ----------
    time, event, log_risk : array-like, shape (n,)
    tau : float, optional
        Truncation time (same unit as ``time``); ``None`` uses all pairs.
    censoring_time, censoring_event : array-like, optional
        Data for the censoring distribution; default ``time``/``event``.
    """
    from sksurv.metrics import concordance_index_ipcw

    test = _structured(time, event)
    reference = test if censoring_time is None else _structured(censoring_time, censoring_event)
    value = concordance_index_ipcw(reference, test, np.asarray(log_risk, dtype=float).ravel(),
                                   tau=tau)
    return float(value[0])


def integrated_brier(time, event, survival, grid, *, censoring_time=None,
                     censoring_event=None) -> float:
    """Integrated Brier score of predicted survival over ``grid`` (IPCW, scikit-survival).

    Parameters
    ----------
    time, event : array-like, shape (n,)
    survival : array-like, shape (n, t)
        Predicted ``S(grid_k | x_i)``.
    grid : array-like, shape (t,)
        Increasing times within the follow-up of ``time`` (at least 2).
    """
    from sksurv.metrics import integrated_brier_score

    test = _structured(time, event)
    reference = test if censoring_time is None else _structured(censoring_time, censoring_event)
    return float(integrated_brier_score(reference, test, np.asarray(survival, dtype=float),
                                        np.asarray(grid, dtype=float)))


def brier_at(time, event, survival_at_horizon, horizon: float, *, censoring_time=None,
             censoring_event=None) -> float:
    """IPCW Brier score of predicted ``S(horizon | x_i)`` at one time (scikit-survival).

    Parameters
    ----------
    time, event : array-like, shape (n,)
    survival_at_horizon : array-like, shape (n,)
    horizon : float
        Within the follow-up of ``time``.
    censoring_time, censoring_event : array-like, optional
        Data for the censoring distribution; default ``time``/``event``.
    """
    from sksurv.metrics import brier_score

    test = _structured(time, event)
    reference = test if censoring_time is None else _structured(censoring_time, censoring_event)
    _, score = brier_score(reference, test, np.asarray(survival_at_horizon, dtype=float)[:, None],
                           [float(horizon)])
    return float(score[0])


def kaplan_meier(time, event, times=None) -> dict[str, np.ndarray]:
    """Kaplan-Meier survival with its 95% (exponential Greenwood) band.

    Parameters
    ----------
    time, event : array-like, shape (n,)
    times : array-like, shape (t,), optional
        Where to evaluate; default the fitter's own step times.

    Returns
    -------
    dict with ``"times"``, ``"survival"``, ``"lower"``, ``"upper"``, each shape (t,), and
    ``"max_followup"`` (float, the last observed time).
    """
    from lifelines import KaplanMeierFitter

    time, event = check_survival_data(time, event)
    fitter = KaplanMeierFitter().fit(time, event)
    if times is None:
        times = fitter.survival_function_.index.values
    times = np.asarray(times, dtype=float)
    survival = fitter.survival_function_at_times(times).values
    band = fitter.confidence_interval_survival_function_
    index = np.clip(np.searchsorted(band.index.values, times, side="right") - 1, 0, None)
    return {"times": times, "survival": survival, "lower": band.iloc[index, 0].values,
            "upper": band.iloc[index, 1].values, "max_followup": float(time.max())}


def calibration_at(time, event, predicted_survival, horizon: float, *,
                   num_groups: int = 4) -> dict:
    """Mean predicted vs Kaplan-Meier observed survival at ``horizon``, by predicted-risk group.

    Patients are split into ``num_groups`` equal-sized groups by predicted survival at the
    horizon (group 1 = highest risk).

    Parameters
    ----------
    time, event : array-like, shape (n,)
    predicted_survival : array-like, shape (n,)
        Predicted ``S(horizon | x)``.
    horizon : float
    num_groups : int

    Returns
    -------
    dict
        ``"horizon"``, ``"groups"`` (list of ``{"group", "n", "predicted", "observed",
        "observed_lower", "observed_upper"}``) and ``"mean_absolute_difference"`` (weighted by
        group size).
    """
    time, event = check_survival_data(time, event)
    predicted = np.asarray(predicted_survival, dtype=float).ravel()
    order = np.argsort(predicted, kind="stable")
    groups = []
    for number, members in enumerate(np.array_split(order, num_groups), start=1):
        km = kaplan_meier(time[members], event[members], [horizon])
        groups.append({"group": number, "n": int(members.size),
                       "predicted": float(predicted[members].mean()),
                       "observed": float(km["survival"][0]),
                       "observed_lower": float(km["lower"][0]),
                       "observed_upper": float(km["upper"][0])})
    gap = sum(g["n"] * abs(g["predicted"] - g["observed"]) for g in groups) / predicted.size
    return {"horizon": float(horizon), "groups": groups, "mean_absolute_difference": float(gap)}


#: Groups of :func:`calibration_deciles`.
DECILES = 10


def calibration_deciles(time, event, predicted_survival, horizon: float) -> list[dict]:
    """Mean predicted vs Kaplan-Meier observed survival at ``horizon`` in each decile of predicted
    survival (decile 1 = lowest predicted survival), the card's ``calibration_5y_deciles``.

    Parameters
    ----------
    time, event, predicted_survival : array-like, shape (n,), n >= 10
    horizon : float

    Returns
    -------
    list of ``{"predicted", "observed", "n"}`` (4 decimals), one per decile.
    """
    table = calibration_at(time, event, predicted_survival, horizon, num_groups=DECILES)
    return [{"predicted": round(g["predicted"], 4), "observed": round(g["observed"], 4),
             "n": g["n"]} for g in table["groups"]]


def survival_report(time, event, log_risk, survival, grid, *, horizon: float,
                    tau: float | None = None, num_groups: int = 4) -> dict:
    """Harrell's C, Uno's C, integrated Brier score and calibration at ``horizon``, as one dict.

    Parameters
    ----------
    time, event, log_risk : array-like, shape (n,)
    survival : array-like, shape (n, t)
        Predicted survival at ``grid``; ``horizon`` must be one of ``grid``'s values.
    grid : array-like, shape (t,)
    horizon : float
    tau : float, optional
        Uno's C truncation; default the last grid time.
    """
    grid = np.asarray(grid, dtype=float)
    survival = np.asarray(survival, dtype=float)
    matches = np.flatnonzero(np.isclose(grid, horizon))
    if matches.size == 0:
        raise ValueError(f"horizon {horizon} is not on the grid; add it to the grid.")
    calibration = calibration_at(time, event, survival[:, matches[0]], horizon,
                                 num_groups=num_groups)
    return {
        "c_index": harrell_c(time, event, log_risk),
        "uno_c": uno_c(time, event, log_risk, tau=float(grid[-1]) if tau is None else tau),
        "integrated_brier": integrated_brier(time, event, survival, grid),
        f"calibration_{horizon:g}y_mean_abs_diff": calibration["mean_absolute_difference"],
        f"calibration_{horizon:g}y": calibration["groups"],
        f"calibration_{horizon:g}y_deciles": calibration_deciles(
            time, event, survival[:, matches[0]], horizon),
    }
