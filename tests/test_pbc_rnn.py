"""pbc_rnn: visit features, prefixes, sequence checks, prediction as of a visit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medcore.datasets.pbc import check_visit_sequences
from medcore.errors import DataValidationError
from medcore.models import pbc_rnn

LABS = {"age": 50.0, "sex": "f", "trt": 1, "bili": 1.2, "albumin": 3.5, "protime": 10.5,
        "alk.phos": 1200.0, "ast": 100.0, "platelet": 250.0, "chol": 300.0, "ascites": 0,
        "hepato": 1, "spiders": 0, "edema": 0.0, "stage": 3}


def make_visits(days_by_patient: dict, **changes) -> pd.DataFrame:
    rows = []
    for patient, days in days_by_patient.items():
        for k, day in enumerate(days):
            rows.append({"id": patient, "day": day, **LABS, "bili": 1.0 + k})
    frame = pd.DataFrame(rows)
    for column, value in changes.items():
        frame[column] = value
    frame["futime"] = frame.groupby("id")["day"].transform("max") + 400
    frame["status"] = 2
    frame["event"] = 1
    return frame


def tiny_model(visits):
    from medcore.networks.recurrent import build_rnn

    stats = pbc_rnn.preprocessing_statistics(pbc_rnn.visit_features(visits))
    return build_rnn(len(pbc_rnn.FEATURE_NAMES), num_intervals=pbc_rnn.EDGES.size - 1,
                     units=4, **stats)


def served(model):
    """The serving model of a network built in a test (what every prediction receives)."""
    from medcore.serving import KerasServing

    return KerasServing(pbc_rnn.serving_graph(model))


def test_visit_features_times_sex_and_carry_forward():
    visits = make_visits({7: [0, 180, 545]})
    visits.loc[1, "platelet"] = np.nan
    visits["sex"] = "m"
    features = pbc_rnn.visit_features(visits)
    assert list(features.columns[2:]) == list(pbc_rnn.FEATURE_NAMES)
    np.testing.assert_allclose(features["years_since_first_visit"] * 365.25, [0, 180, 545])
    np.testing.assert_allclose(features["years_since_previous_visit"] * 365.25, [0, 180, 365])
    assert features["platelet"].tolist() == [250.0, 250.0, 250.0]
    assert features["sex"].tolist() == [1.0, 1.0, 1.0]


def test_never_measured_values_stay_missing_for_the_model_to_fill():
    visits = make_visits({1: [0, 100]}).drop(columns="chol")
    batch = pbc_rnn.visits_to_arrays(visits)
    assert np.isnan(batch.x[0, :, pbc_rnn.FEATURE_NAMES.index("chol")]).all()


def test_every_prefix_with_time_from_its_last_visit():
    visits = make_visits({1: [0, 100, 300], 2: [0]})
    batch, time, event = pbc_rnn.prefix_arrays(visits)
    assert batch.x.shape == (4, 3, len(pbc_rnn.FEATURE_NAMES))
    assert batch.lengths.tolist() == [1, 2, 3, 1]
    assert batch.ids.tolist() == [1, 1, 1, 2]
    np.testing.assert_allclose(time * 365.25, [700, 600, 400, 400])
    assert event.tolist() == [1, 1, 1, 1]
    assert (batch.x[0, 1:] == 0).all()                      # padding after the prefix
    np.testing.assert_array_equal(batch.x[1, :2], batch.x[2, :2])


def test_as_of_visit_cuts_the_history():
    visits = make_visits({1: [0, 100, 300]})
    batch = pbc_rnn.visits_to_arrays(visits, as_of_visit=2)
    assert batch.x.shape[1] == 2 and batch.last_day.tolist() == [100.0]


@pytest.mark.parametrize("days, message", [
    ([0, 300, 200], r"Row 3 \(patient 5\): day 200 comes after day 300 in row 2"),
    ([0, 300, 300], r"Row 3 \(patient 5\): a second visit on day 300"),
    ([0, -4], r"Row 2 \(patient 5\): day is .-4."),
])
def test_bad_sequences_name_patient_and_row(days, message):
    with pytest.raises(DataValidationError, match=message):
        check_visit_sequences(make_visits({5: days}))


def test_missing_columns_are_named():
    with pytest.raises(DataValidationError, match="no column\\(s\\) albumin"):
        pbc_rnn.visit_features(make_visits({1: [0, 10]}).drop(columns="albumin"))


def test_single_visit_is_a_warning_naming_patient_and_row():
    warnings = check_visit_sequences(make_visits({1: [0, 30], 9: [0]}))
    assert warnings == [warnings[0]] and "Row 3 (patient 9)" in warnings[0]


def test_predict_survival_as_of_visit_matches_survival_by_visit():
    visits = make_visits({3: [0, 200, 400, 900]})
    model = served(tiny_model(visits))
    times, by_visit, days = pbc_rnn.survival_by_visit(model, visits)
    assert by_visit.shape == (4, pbc_rnn.EDGES.size) and days.tolist() == [0, 200, 400, 900]
    for k in range(1, 5):
        curve = pbc_rnn.predict_survival(model, visits, as_of_visit=k)
        np.testing.assert_allclose(curve.survival, by_visit[k - 1], atol=1e-5)
    assert curve.survival[0] == 1.0 and np.all(np.diff(curve.survival) <= 0)


def test_predict_and_score_records_give_each_patient_the_curve_after_the_last_visit():
    visits = make_visits({3: [0, 200, 400], 5: [0, 100]})
    model = served(tiny_model(visits))
    prediction = pbc_rnn.predict(model, visits)
    assert prediction.ids.tolist() == [3, 5]
    assert prediction.survival.shape == (2, pbc_rnn.EDGES.size)
    assert prediction.last_day.tolist() == [400.0, 100.0]
    for row, patient in enumerate((3, 5)):
        _, by_visit, _ = pbc_rnn.survival_by_visit(model, visits[visits["id"] == patient])
        np.testing.assert_allclose(prediction.survival[row], by_visit[-1], atol=1e-6)
    scored = pbc_rnn.score_records(model, visits)
    assert list(scored.columns) == ["id", "visits", "last_day", "survival_1y", "survival_3y",
                                    "survival_5y"]
    assert scored["visits"].tolist() == [3, 2]
    np.testing.assert_allclose(
        scored["survival_5y"],
        pbc_rnn.survival_at(prediction.times, prediction.survival, 5.0).round(3))
    with pytest.raises(DataValidationError, match=r"shape \(2, 3\); expected \(n, visits, 17\)"):
        pbc_rnn.predict(model, np.zeros((2, 3)))


def test_impute_like_model_uses_the_model_fill_values():
    visits = make_visits({1: [0, 100]}).drop(columns="chol")
    model = tiny_model(make_visits({1: [0, 100]}))
    x = pbc_rnn.visits_to_arrays(visits).x
    filled = pbc_rnn.impute_like_model(model, x)
    assert not np.isnan(filled).any()
    assert (filled[0, :, pbc_rnn.FEATURE_NAMES.index("chol")] == 300.0).all()
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict_on_batch(filled),
                               atol=1e-6)


def test_predict_survival_refuses_two_patients_and_bad_visit_numbers():
    visits = make_visits({1: [0, 10], 2: [0, 10]})
    model = served(tiny_model(visits))
    with pytest.raises(DataValidationError, match="holds 2 patients"):
        pbc_rnn.predict_survival(model, visits)
    with pytest.raises(DataValidationError, match="as_of_visit=3, but the patient has 2 visits"):
        pbc_rnn.predict_survival(model, visits[visits["id"] == 1], as_of_visit=3)


def test_survival_at_interpolates_on_the_log_scale():
    times = np.array([0.0, 1.0, 2.0])
    survival = np.array([[1.0, 0.25, 0.0625]])
    np.testing.assert_allclose(pbc_rnn.survival_at(times, survival, 0.5), [0.5])


@pytest.mark.slow
def test_training_on_real_prefixes_gives_a_usable_model(tmp_path):
    from medcore.datasets.pbc import load_pbcseq

    visits = load_pbcseq()
    few = visits[visits["id"] <= 60]
    model = pbc_rnn.fit_network(few, settings={"epochs": 2, "units": 4})
    curve = pbc_rnn.predict_survival(served(model), few[few["id"] == 2])
    assert curve.survival.shape == pbc_rnn.EDGES.shape and 0 < curve.survival[-1] < 1
    path = tmp_path / "m.keras"
    model.save(path)
    import keras

    loaded = keras.saving.load_model(path, compile=False, safe_mode=True)
    again = pbc_rnn.predict_survival(served(loaded), few[few["id"] == 2])
    np.testing.assert_allclose(curve.survival, again.survival, atol=1e-6)
    background = pbc_rnn.training_background(n=5)
    assert background.shape[0] == 5 and not np.isnan(background).any()
    x, time, event = pbc_rnn.test_inputs()
    assert x.shape[0] == pbc_rnn.NUM_DEMO_PATIENTS == time.size == event.size


def test_figures_fade_earlier_predictions_and_log_bilirubin():
    from medcore.plots import sequences as plots

    visits = make_visits({1: [0, 200, 400, 900]})
    times = pbc_rnn.EDGES
    by_visit = np.tile(np.linspace(1.0, 0.5, times.size), (4, 1))
    curve = plots.survival_as_of_visit(times, by_visit, visits["day"].to_numpy(), 3)
    assert len(curve.data) == 3 and curve.data[-1].name == "after visit 3"
    assert curve.data[0].x[0] == 0.0 and curve.data[-1].x[0] == pytest.approx(400 / 365.25)
    trajectories = plots.biomarker_trajectories(visits, as_of_visit=2)
    assert trajectories.layout.yaxis.type == "log"
    assert len(trajectories.data) == 8           # 4 panels x (visits 1..k, later visits)
    small = plots.survival_after_each_visit(visits["day"].to_numpy(), np.array([.9, .8, .7, .6]),
                                            as_of_visit=2)
    assert list(small.data[0].y) == [0.9, 0.8]             # visits 1..k
    assert list(small.data[1].y) == [0.8, 0.7, 0.6]        # later visits, faded
    assert small.data[1].line.color == plots.EARLIER
    assert list(small.data[-1].y) == [0.8]                  # the current visit
    full = plots.survival_after_each_visit(visits["day"].to_numpy(), np.array([.9, .8, .7, .6]),
                                           as_of_visit=4)
    assert len(full.data) == 2                              # nothing after the last visit


def test_time_axes_start_at_the_first_visit_in_the_data():
    from medcore.plots import sequences as plots

    only = make_visits({7: [750]})
    times = pbc_rnn.EDGES
    curve = plots.survival_as_of_visit(times, np.linspace(1.0, 0.5, times.size)[None], [750], 1)
    assert curve.data[-1].x[0] == 0.0 and curve.layout.xaxis.title.text == plots.AXIS_TITLE
    assert list(plots.biomarker_trajectories(only).data[0].x) == [0.0]
    later = plots.survival_after_each_visit(np.array([750.0, 1115.25]), np.array([.9, .8]))
    assert list(later.data[0].x) == pytest.approx([0.0, 1.0])


def test_selection_rule_keeps_the_shipped_settings_unless_calibration_improves():
    from medcore.models.pbc_rnn_selection import _apply_rule

    def row(c, brier, gap):
        return {"c_index": c, "brier": brier, "calibration_mean_abs_diff": gap}

    candidates = {"shipped": {}, "l2": {"l2": 1e-3}, "short": {"epochs": 5}}
    table = {"shipped": row(0.84, 0.13, 0.05), "l2": row(0.839, 0.13, 0.03),
             "short": row(0.83, 0.12, 0.01)}                 # "short" loses concordance
    assert _apply_rule(table, candidates) == "l2"
    table["l2"] = row(0.85, 0.14, 0.03)                       # Brier worse
    assert _apply_rule(table, candidates) == "shipped"
    table["l2"] = row(0.85, 0.12, 0.03)
    assert _apply_rule(table, {**candidates, "l2": {"members": 5}}) == "shipped"   # costlier
    assert _apply_rule(table, {"l2": {"l2": 1e-3}}) is None


@pytest.mark.slow
def test_select_settings_smoke_on_a_few_patients():
    from medcore.datasets.pbc import load_pbcseq
    from medcore.models.pbc_rnn_selection import select_settings

    visits = load_pbcseq()
    few = visits[visits["id"] <= 80]
    selection = select_settings(visits=few, candidates={"tiny": {"units": 2, "epochs": 1,
                                                                 "members": 1}},
                                folds=2, write_card=False, progress=False)
    assert set(selection["table"]) == {"tiny", "landmark_coxph"}
    assert 0 <= selection["table"]["tiny"]["share_below_1pct"] <= 1
    assert selection["candidates"]["tiny"]["units"] == 2 and selection["chosen"] is None


def test_predict_applies_the_cards_recalibration_and_only_it():
    from types import SimpleNamespace

    from medcore.survival.recalibration import LogitRecalibration

    raw = np.tile(np.linspace(0.99, 1e-6, pbc_rnn.EDGES.size - 1), (2, 1)).astype("float32")
    mapping = LogitRecalibration(0.4, 0.5, 5.0, 100)

    class Served:
        def __init__(self, card):
            self.card = card

        def __call__(self, x):
            return {"survival": raw[:len(x)]}

    x = np.zeros((2, 3, len(pbc_rnn.FEATURE_NAMES)), dtype="float32")
    card = SimpleNamespace(parameters={"recalibration": mapping.to_dict()})
    calibrated = pbc_rnn.predict(Served(card), x).survival
    np.testing.assert_allclose(calibrated[:, 1:], mapping.apply(raw.astype(float)), rtol=1e-6)
    assert np.all(calibrated[:, 0] == 1.0) and np.all(np.diff(calibrated, axis=1) < 0)
    assert calibrated[0, -1] > 1000 * raw[0, -1]          # far less extreme
    plain = pbc_rnn.predict(Served(None), x).survival    # a fold's network: no card, no map
    np.testing.assert_allclose(plain[:, 1:], raw, rtol=1e-6)


@pytest.mark.slow
def test_evaluation_report_recalibrates_each_fold_and_keeps_the_network_alone():
    from medcore.datasets.pbc import load_pbcseq
    from medcore.survival import landmark

    visits = load_pbcseq()
    few = visits[visits["id"] <= 120]
    tiny = pbc_rnn.RNNPredictor({"units": 4, "epochs": 2, "members": 1})
    result = landmark.cross_validate(few, {pbc_rnn.NETWORK_ONLY: tiny,
                                           "landmark_coxph": landmark.LandmarkCoxPH()},
                                     folds=3, repeats=1, landmarks=(1.0, 2.0))
    report = pbc_rnn.evaluation_report(result, n_test=few["id"].nunique())
    assert report["model"] == pbc_rnn.NAME
    assert set(report["baselines"]) == {pbc_rnn.NETWORK_ONLY, "landmark_coxph"}
    deciles = report["test"]["calibration_5y_deciles"]
    assert len(deciles) == 10 and {"predicted", "observed", "n"} <= set(deciles[0])
    # a monotone map per fold: the same ranking, so the same C-index as the network alone
    assert report["test"]["c_index"] == pytest.approx(
        report["baselines"][pbc_rnn.NETWORK_ONLY]["c_index"], abs=1e-4)
