"""medcore.survival.breslow against scikit-survival's BreslowEstimator, on real data (Rotterdam).

The fit is scikit-survival's; these tests pin down that it equals the Breslow estimate written out
by hand (the estimator medcore had before), with the many tied event times of Rotterdam, and
where and why the curves of ``BreslowBaseline`` differ from scikit-survival's step functions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from sksurv.linear_model.coxph import BreslowEstimator

from medcore.survival import breslow_baseline, survival_curves

COVARIATES = ("age", "size", "grade", "nodes", "pgr", "er", "hormon", "chemo")


@pytest.fixture(scope="module")
def rotterdam():
    """Rotterdam node-positive: times, events and a fitted Cox PH linear predictor."""
    from medcore.models.breast_cancer_deepsurv import to_model_array
    from medcore.datasets.rotterdam_gbsg import load_rotterdam

    frame = load_rotterdam()
    x = pd.DataFrame(to_model_array(frame), columns=COVARIATES).astype(float)
    x[["nodes", "pgr", "er"]] = np.log1p(x[["nodes", "pgr", "er"]])
    fitted = CoxPHFitter(penalizer=1e-4).fit(
        x.assign(time=frame["time"].to_numpy(float), event=frame["event"].to_numpy(int)),
        "time", "event")
    eta = fitted.predict_log_partial_hazard(x).to_numpy()
    return frame["time"].to_numpy(float), frame["event"].to_numpy(int), eta


def _breslow_by_hand(eta, time, event):
    """``H0`` at each distinct event time: tied events share the risk set ``t_j >= t_i``."""
    event_times = np.unique(time[event == 1])
    increments = [event[time == t].sum() / np.exp(eta[time >= t]).sum() for t in event_times]
    return event_times, np.cumsum(increments)


def test_rotterdam_has_tied_event_times(rotterdam):
    time, event, _ = rotterdam
    counts = pd.Series(time[event == 1]).value_counts()
    assert len(time) == 1546 and (counts > 1).sum() > 100      # 173 tied event times


def test_breslow_baseline_equals_the_estimate_by_hand_and_sksurv(rotterdam):
    time, event, eta = rotterdam
    ours = breslow_baseline(eta, time, event)
    times, by_hand = _breslow_by_hand(eta, time, event)
    np.testing.assert_array_equal(ours.times, times)
    np.testing.assert_allclose(ours.cumulative_hazard, by_hand, rtol=1e-12)
    sksurv = BreslowEstimator().fit(eta, event.astype(bool), time).cum_baseline_hazard_
    np.testing.assert_allclose(ours.at(sksurv.x), sksurv.y, rtol=1e-12)   # censored times too


def test_curves_equal_sksurv_inside_follow_up(rotterdam):
    time, event, eta = rotterdam
    ours = breslow_baseline(eta, time, event)
    functions = BreslowEstimator().fit(eta, event.astype(bool), time).get_survival_function(eta)
    grid = np.linspace(ours.times[0], time.max(), 400)
    theirs = np.stack([function(grid) for function in functions])
    np.testing.assert_allclose(survival_curves(eta, ours, grid), theirs, rtol=1e-10, atol=1e-12)


def test_curves_start_at_one_and_extend_past_follow_up_unlike_sksurv(rotterdam):
    """Why BreslowBaseline keeps its own step function (see the module docstring)."""
    time, event, eta = rotterdam
    ours = breslow_baseline(eta, time, event)
    functions = BreslowEstimator().fit(eta, event.astype(bool), time).get_survival_function(eta)
    before_first_event = ours.times[0] / 2
    np.testing.assert_array_equal(survival_curves(eta, ours, [0.0, before_first_event]), 1.0)
    theirs = np.array([function(before_first_event) for function in functions])
    assert (theirs < 1).all() and 1 - theirs.min() > 1e-3     # clipped to the first event
    past = time.max() + 1.0
    np.testing.assert_allclose(survival_curves(eta, ours, [past])[:, 0],
                               survival_curves(eta, ours, [time.max()])[:, 0])
    with pytest.raises(ValueError, match="must be within"):
        functions[0](past)


def test_curves_do_not_depend_on_a_shift_of_the_log_risk(rotterdam):
    """The baseline absorbs a constant added to every log-risk, up to exp's float64 limit."""
    time, event, eta = rotterdam
    grid = np.linspace(0.0, 10.0, 41)
    expected = survival_curves(eta, breslow_baseline(eta, time, event), grid)
    for shift in (-300.0, 300.0, 700.0):
        baseline = breslow_baseline(eta + shift, time, event)
        np.testing.assert_allclose(survival_curves(eta + shift, baseline, grid), expected,
                                   rtol=1e-9, atol=1e-12)
