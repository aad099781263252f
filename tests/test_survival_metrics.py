"""Tests for medcore.survival.metrics (wrappers over lifelines and scikit-survival)."""
from __future__ import annotations

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from medcore.errors import DataValidationError
from medcore.survival.metrics import (calibration_at, harrell_c, integrated_brier, kaplan_meier,
                                      survival_report, uno_c)


def _cohort(n=300, seed=0):
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    event_time = rng.exponential(scale=np.exp(-risk))
    censor_time = rng.exponential(scale=2.0, size=n)
    return risk, np.minimum(event_time, censor_time), (event_time <= censor_time).astype(int)


def test_harrell_c_is_one_for_perfect_ordering_and_zero_for_reversed():
    time = np.array([1.0, 2.0, 3.0, 4.0])
    event = np.ones(4)
    assert harrell_c(time, event, -time) == pytest.approx(1.0)
    assert harrell_c(time, event, time) == pytest.approx(0.0)


def test_uno_c_agrees_with_harrell_without_censoring():
    risk, time, _ = _cohort()
    event = np.ones_like(time)
    assert uno_c(time, event, risk) == pytest.approx(harrell_c(time, event, risk), abs=0.01)
    assert 0.6 < harrell_c(time, event, risk) < 0.9


def test_integrated_brier_prefers_the_true_model_to_a_coin():
    risk, time, event = _cohort()
    grid = np.linspace(0.2, 1.0, 9)
    truth = np.exp(-grid[None, :] * np.exp(risk)[:, None])
    coin = np.full_like(truth, 0.5)
    assert integrated_brier(time, event, truth, grid) < integrated_brier(time, event, coin, grid)


def test_kaplan_meier_matches_lifelines():
    _, time, event = _cohort()
    km = kaplan_meier(time, event, [0.5, 1.0])
    fitter = KaplanMeierFitter().fit(time, event)
    np.testing.assert_allclose(km["survival"], fitter.survival_function_at_times([0.5, 1.0]))
    assert (km["lower"] <= km["survival"]).all() and (km["survival"] <= km["upper"]).all()
    assert km["max_followup"] == pytest.approx(time.max())


def test_calibration_groups_cover_everyone_and_are_close_for_the_true_model():
    risk, time, event = _cohort(n=2000)
    predicted = np.exp(-0.5 * np.exp(risk))
    result = calibration_at(time, event, predicted, 0.5, num_groups=4)
    assert sum(g["n"] for g in result["groups"]) == 2000
    assert [g["group"] for g in result["groups"]] == [1, 2, 3, 4]
    assert result["groups"][0]["predicted"] < result["groups"][-1]["predicted"]
    assert result["mean_absolute_difference"] < 0.05


def test_survival_report_has_every_metric():
    risk, time, event = _cohort()
    grid = np.array([0.25, 0.5, 1.0])
    survival = np.exp(-grid[None, :] * np.exp(risk)[:, None])
    report = survival_report(time, event, risk, survival, grid, horizon=0.5)
    assert set(report) == {"c_index", "uno_c", "integrated_brier", "calibration_0.5y",
                           "calibration_0.5y_mean_abs_diff", "calibration_0.5y_deciles"}
    with pytest.raises(ValueError, match="not on the grid"):
        survival_report(time, event, risk, survival, grid, horizon=2.0)


def test_bad_event_indicator_is_refused():
    with pytest.raises(DataValidationError, match="event indicator must be binary"):
        harrell_c([1.0, 2.0], [0, 3], [0.1, 0.2])
