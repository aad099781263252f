"""Landmark data sets on a hand-made three-patient frame, and the protocol's pieces."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medcore.datasets.pbc import DAYS_PER_YEAR
from medcore.survival.landmark import (build_landmark_set, last_observation, patient_folds,
                                       window_concordance)

Y = DAYS_PER_YEAR


@pytest.fixture
def visits() -> pd.DataFrame:
    # patient 1 dies on day 1000; patient 2 has a transplant on day 300 (censored);
    # patient 3 is alive at day 4000 (censored)
    rows = [(1, 0, 1.0), (1, 200, np.nan), (1, 500, 3.0),
            (2, 0, 0.8), (2, 100, 0.9),
            (3, 0, 0.5), (3, 365, 0.6), (3, 800, 0.7), (3, 3000, 0.9)]
    frame = pd.DataFrame(rows, columns=["id", "day", "bili"])
    outcome = {1: (1000, 2), 2: (300, 1), 3: (4000, 0)}
    frame["futime"] = frame["id"].map(lambda i: outcome[i][0])
    frame["status"] = frame["id"].map(lambda i: outcome[i][1])
    frame["event"] = (frame["status"] == 2).astype(int)
    return frame


def test_only_patients_at_risk_with_visits_up_to_the_landmark(visits):
    ls = build_landmark_set(visits, 1.0, horizon=5.0)
    assert ls.ids.tolist() == [1, 3]                     # patient 2 left at day 300
    assert ls.visits.groupby("id")["day"].apply(list).to_dict() == {1: [0, 200], 3: [0, 365]}
    np.testing.assert_allclose(ls.elapsed, [(Y - 200) / Y, (Y - 365) / Y])
    np.testing.assert_allclose(ls.time, [(1000 - Y) / Y, 5.0])   # truncated at the horizon
    assert ls.event.tolist() == [1, 0]
    np.testing.assert_allclose(ls.residual_time[1], (4000 - Y) / Y)


def test_death_after_the_window_is_censored_at_the_horizon(visits):
    ls = build_landmark_set(visits, 1.0, horizon=1.0)
    np.testing.assert_allclose(ls.time, [1.0, 1.0])
    assert ls.event.tolist() == [0, 0]
    assert ls.residual_event.tolist() == [1, 0]


def test_later_landmarks_drop_the_dead_and_keep_later_visits(visits):
    two = build_landmark_set(visits, 2.0)
    assert two.ids.tolist() == [1, 3]
    assert two.visits[two.visits["id"] == 1]["day"].tolist() == [0, 200, 500]
    three = build_landmark_set(visits, 3.0)
    assert three.ids.tolist() == [3]
    assert three.visits["day"].tolist() == [0, 365, 800]


def test_transplant_censors_and_is_never_an_event(visits):
    ls = build_landmark_set(visits, 0.0)
    assert ls.ids.tolist() == [1, 2, 3]
    assert ls.event.tolist() == [1, 0, 0]


def test_last_observation_is_carried_forward(visits):
    ls = build_landmark_set(visits, 1.0)
    assert last_observation(ls)["bili"].tolist() == [1.0, 0.6]   # day-200 value missing


def test_window_concordance_ranks_the_death_first(visits):
    ls = build_landmark_set(visits, 1.0)
    assert window_concordance(ls, np.array([2.0, 1.0])) == 1.0
    assert window_concordance(ls, np.array([1.0, 2.0])) == 0.0


def test_bad_landmark_is_refused(visits):
    with pytest.raises(ValueError, match="expected landmark >= 0 and horizon > 0"):
        build_landmark_set(visits, -1.0)


def test_folds_split_patients_not_visits(visits):
    frame = pd.concat([visits.assign(id=visits["id"] + 10 * k) for k in range(4)])
    for train, test in patient_folds(frame, folds=2, seed=0):
        assert not set(train) & set(test)
        assert set(train) | set(test) == set(frame["id"])


def test_horizon_brier_weights_by_the_training_censoring(visits):
    from medcore.survival.landmark import horizon_brier

    ls = build_landmark_set(visits, 0.0, horizon=2.0)
    # patient 2 is censored (transplant) at 0.82 years: weight 0; the others are alive at
    # 2 years with weight 1 / G(2) = 3/2 (one of three censored before)
    assert horizon_brier(ls, ls, np.array([0.5, 0.3, 1.0])) == pytest.approx(0.25 * 1.5 / 3)


def toy_predictions(models=("net", "cox"), n=40) -> pd.DataFrame:
    """Out-of-fold predictions: half the patients die at 1 year, half are censored at 5."""
    rng = np.random.default_rng(0)
    frames = []
    for r in range(2):
        for lm in (1.0, 2.0):
            for m in models:
                event = np.arange(n) % 2
                # "net" is over-confident: 1e-7 for every death, 0.9 for the others
                survival = (np.where(event, 1e-7, 0.9) if m == "net"
                            else np.where(event, 0.5, 0.6) + rng.uniform(0, 0.01, n))
                frames.append(pd.DataFrame({"repeat": r, "landmark": lm, "model": m,
                                            "id": np.arange(n), "survival": survival,
                                            "time": np.where(event, 1.0, 5.0),
                                            "event": event}))
    return pd.concat(frames, ignore_index=True)


def test_window_calibration_by_risk_group_and_near_zero_share():
    from medcore.survival.landmark import window_calibration

    predictions = toy_predictions()
    net = window_calibration(predictions[predictions["model"] == "net"], num_groups=2)
    groups = net["per_landmark"]["1y"]["groups"]
    assert [g["n"] for g in groups] == [20, 20]
    assert groups[0]["predicted"] == pytest.approx(0.0) and groups[0]["observed"] == 0.0
    assert groups[1]["observed"] == 1.0                      # the survivors' group
    assert net["mean_abs_diff"] == pytest.approx(0.05)      # |0.9 - 1| in half the patients
    assert net["near_zero"]["share"] == 0.5 and net["near_zero"]["n_per_repeat"] == 40
    assert net["near_zero"]["observed_survival_km"] == 0.0
    cox = window_calibration(predictions[predictions["model"] == "cox"], num_groups=2)
    assert cox["near_zero"]["share"] == 0.0 and np.isnan(cox["near_zero"]["observed_survival_km"])
    assert cox["mean_abs_diff"] == pytest.approx(0.45, abs=0.01)


def test_report_has_the_design_shape_and_paired_comparison():
    from medcore.survival.landmark import CrossValidation, report

    rows = [dict(repeat=r, fold=f, landmark=lm, model=m, c_index=0.7 + 0.1 * (m == "net"),
                 brier=0.1, n_at_risk=10, deaths_in_window=3)
            for r in range(2) for f in range(2) for lm in (1.0, 2.0) for m in ("net", "cox")]
    out = report(CrossValidation(pd.DataFrame(rows), toy_predictions()), model="net",
                 dataset="toy", n_test=20)
    assert out["test"]["c_index"] == pytest.approx(0.8)
    assert out["test"]["per_landmark"]["1y"]["n_at_risk"] == 20   # summed over folds
    assert out["baselines"]["cox"]["c_index"] == pytest.approx(0.7)
    assert out["baselines"]["cox"]["folds_model_better"] == "4/4"
    calibration = out["baselines"]["cox"]["calibration_5y"]
    assert set(calibration["per_landmark"]) == {"1y", "2y"}
    assert len(calibration["per_landmark"]["1y"]["groups"]) == 5
    assert out["test"]["calibration_5y"]["near_zero"]["share"] == 0.5
