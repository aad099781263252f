"""Logit recalibration of predicted survival, decile calibration, and cross-fitting per fold."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from medcore.survival.landmark import CrossValidation, cross_fitted_recalibration
from medcore.survival.metrics import calibration_deciles
from medcore.survival.recalibration import (LogitRecalibration, fit_logit_recalibration,
                                            ipcw_outcome)


def _overconfident(n: int, seed: int = 0):
    """Predictions twice as extreme on the logit scale as the truth, exponential times."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.05, 0.95, n)
    logit = np.log(truth / (1 - truth))
    predicted = 1 / (1 + np.exp(-2.0 * logit))
    rate = -np.log(truth) / 5.0                                  # S(5) = truth
    event_time = rng.exponential(1 / rate)
    censor = rng.uniform(2.0, 20.0, n)
    time = np.minimum(event_time, censor)
    event = (event_time <= censor).astype(int)
    return predicted, time, event


def test_the_map_undoes_an_overconfident_model():
    predicted, time, event = _overconfident(4000)
    fitted = fit_logit_recalibration(predicted, time, event, 5.0)
    assert fitted.slope == pytest.approx(0.5, abs=0.06)
    assert fitted.intercept == pytest.approx(0.0, abs=0.2)   # IPCW: censoring adds spread
    deciles = calibration_deciles(time, event, fitted.apply(predicted), 5.0)
    assert max(abs(d["observed"] - d["predicted"]) for d in deciles) < 0.05


def test_the_floor_lifts_predictions_that_are_too_low_at_one_end():
    rng = np.random.default_rng(3)
    predicted = rng.uniform(1e-6, 0.99, 6000)
    truth = 0.2 + 0.8 * predicted                  # a fifth survive whatever the model says
    alive = rng.uniform(size=predicted.size) < truth
    time = np.where(alive, 5.0, rng.uniform(0.1, 5.0, predicted.size))
    fitted = fit_logit_recalibration(predicted, time, (~alive).astype(int), 5.0)
    assert fitted.floor == pytest.approx(0.2, abs=0.05)
    platt = fit_logit_recalibration(predicted, time, (~alive).astype(int), 5.0, floor=False)
    assert platt.floor == 0.0
    low = predicted < 0.05
    assert fitted.apply(predicted[low]).mean() == pytest.approx(truth[low].mean(), abs=0.03)
    assert platt.apply(predicted[low]).mean() < truth[low].mean() - 0.05


def test_follow_up_truncated_at_the_horizon_is_not_censoring():
    predicted, time, event = _overconfident(4000)
    truncated_event = event * (time <= 5.0)
    fitted = fit_logit_recalibration(predicted, np.minimum(time, 5.0), truncated_event, 5.0)
    assert fitted.slope == pytest.approx(0.5, abs=0.06)
    assert fitted.intercept == pytest.approx(0.0, abs=0.2)
    alive, weight = ipcw_outcome(np.minimum(time, 5.0), truncated_event, 5.0)
    assert weight[alive == 1].max() < 2                        # not 1 / G(5) = 1 / 0


def test_the_map_keeps_order_and_certainty():
    recalibration = LogitRecalibration(0.3, 0.5, 5.0, 100)
    survival = np.array([[1.0, 0.9, 0.5, 1e-9, 0.0]])
    calibrated = recalibration.apply(survival)
    assert calibrated[0, 0] == 1.0
    assert np.all(np.diff(calibrated[0]) < 0)                  # still strictly decreasing
    assert calibrated.shape == survival.shape
    assert LogitRecalibration.from_dict(recalibration.to_dict()) == recalibration


def test_ipcw_gives_censored_before_the_horizon_no_weight():
    alive, weight = ipcw_outcome([1.0, 2.0, 6.0, 3.0], [1, 0, 0, 1], 5.0)
    assert alive.tolist() == [0, 0, 1, 0]
    assert weight[1] == 0 and np.all(weight[[0, 2, 3]] >= 1)


def test_a_useless_or_tiny_fit_is_refused():
    with pytest.raises(ValueError, match="expected at least 10"):
        fit_logit_recalibration([0.5, 0.6], [6.0, 1.0], [0, 1], 5.0)
    with pytest.raises(ValueError, match="expected a positive slope"):
        LogitRecalibration.from_dict({"intercept": 0, "slope": -1, "horizon": 5, "n": 3})


def test_deciles_are_kaplan_meier_within_each_decile():
    predicted, time, event = _overconfident(500, seed=1)
    deciles = calibration_deciles(time, event, predicted, 5.0)
    assert len(deciles) == 10 and sum(d["n"] for d in deciles) == 500
    order = np.argsort(predicted, kind="stable")
    lowest = order[:50]
    km = KaplanMeierFitter().fit(time[lowest], event[lowest]).predict(5.0)
    assert deciles[0]["observed"] == pytest.approx(km, abs=1e-4)
    assert deciles[0]["predicted"] == pytest.approx(predicted[lowest].mean(), abs=1e-4)


def _cross_validation(seed: int = 0) -> CrossValidation:
    predicted, time, event = _overconfident(600, seed=seed)
    truncated = np.minimum(time, 5.0)
    frame = pd.DataFrame({"repeat": 0, "fold": np.arange(600) % 3, "landmark": 1.0,
                          "model": "net", "id": np.arange(600), "survival": predicted,
                          "time": truncated, "event": event * (time <= 5.0),
                          "residual_time": time, "residual_event": event})
    scores = pd.DataFrame(columns=["repeat", "fold", "landmark", "model", "c_index", "brier",
                                   "n_at_risk", "deaths_in_window"])
    return CrossValidation(scores, frame)


def test_cross_fitting_never_uses_a_folds_own_outcomes():
    result = _cross_validation()
    calibrated = cross_fitted_recalibration(result, "net", name="net_calibrated")
    changed = result.predictions.copy()
    fold0 = changed["fold"] == 0
    changed.loc[fold0, ["event", "residual_event"]] = 1 - changed.loc[fold0, ["event",
                                                                              "residual_event"]]
    again = cross_fitted_recalibration(CrossValidation(result.scores, changed), "net",
                                       name="net_calibrated")

    def fold0_survival(r):
        p = r.predictions
        return p[(p["model"] == "net_calibrated") & (p["fold"] == 0)]["survival"].to_numpy()

    np.testing.assert_allclose(fold0_survival(calibrated), fold0_survival(again))
    scores = calibrated.scores[calibrated.scores["model"] == "net_calibrated"]
    assert len(scores) == 3 and scores["c_index"].between(0.5, 1).all()
    assert scores["brier"].notna().all()
