"""Tests for the breast_cancer_deepsurv model module, its data and the shipped model."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medcore import registry
from medcore.datasets import rotterdam_gbsg
from medcore.errors import DataValidationError
from medcore.models import breast_cancer_deepsurv as deepsurv
from tests.conftest import minimal_card

PATIENT = {"hormon": 0, "age": 55.0, "meno": 1, "size": "20-50", "grade": 3, "nodes": 4,
           "pgr": 40.0, "er": 60.0}


def test_rotterdam_and_gbsg_follow_the_published_protocol():
    rotterdam = rotterdam_gbsg.load_rotterdam()
    gbsg = rotterdam_gbsg.load_gbsg()
    assert len(rotterdam) == 1546 and (rotterdam["nodes"] > 0).all()
    assert len(gbsg) == 686
    assert list(rotterdam.columns) == [*deepsurv.FEATURE_NAMES, "time", "event"]
    assert set(gbsg["size"]) <= {"<=20", "20-50", ">50"}
    assert rotterdam["time"].max() < 20 and gbsg["time"].max() < 8      # years


def test_gbsg_millimetres_map_onto_rotterdam_categories():
    mapped = rotterdam_gbsg.size_category_from_mm([3, 20, 21, 50, 51, 120])
    assert list(mapped) == ["<=20", "<=20", "20-50", "20-50", ">50", ">50"]


def test_to_model_array_codes_size_and_keeps_raw_units():
    frame = pd.DataFrame([PATIENT, {**PATIENT, "size": 2}])
    array = deepsurv.to_model_array(frame)
    assert array.shape == (2, 8) and array.dtype == np.float32
    assert array[:, deepsurv.FEATURE_NAMES.index("size")].tolist() == [1.0, 2.0]
    assert array[0, deepsurv.FEATURE_NAMES.index("pgr")] == 40.0


def test_to_model_array_says_which_column_is_missing():
    frame = pd.DataFrame([PATIENT]).drop(columns=["er", "grade"])
    with pytest.raises(DataValidationError, match="lack the column\\(s\\) grade, er"):
        deepsurv.to_model_array(frame)


def test_to_model_array_refuses_an_unknown_size():
    with pytest.raises(DataValidationError, match="size has the value\\(s\\) \\['35 mm'\\]"):
        deepsurv.to_model_array(pd.DataFrame([{**PATIENT, "size": "35 mm"}]))


def test_rfs_sentence_reads_as_whole_women():
    assert deepsurv.rfs_sentence(0.724, 5) == (
        "About 72 of 100 women like her are alive without recurrence 5 years after surgery.")


def test_a_time_beyond_the_grid_is_a_clear_error():
    times = np.array([0.0, 1.0, 2.0])
    curve = np.array([[1.0, 0.9, 0.8]])
    prediction = deepsurv.Prediction(times, curve, curve, curve, np.zeros(1))
    assert prediction.at(1.0)[0].tolist() == [0.9]
    with pytest.raises(DataValidationError, match="7 years is not on the prediction grid "
                                                  r"\(0 to 2 years\)"):
        prediction.at(7)


@pytest.mark.slow       # trains two Cox networks
def test_ensemble_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = deepsurv.to_model_array(pd.DataFrame([PATIENT] * 40))
    x = x * rng.uniform(0.5, 1.5, size=x.shape).astype("float32")
    y = np.stack([rng.exponential(size=40), rng.integers(0, 2, 40)], axis=1).astype("float32")
    model, epochs = deepsurv.fit_ensemble(
        x, y, x, y, num_members=2,
        hyperparameters={"hidden_units": (4,), "max_epochs": 2, "patience": 1})
    assert model.output_shape == (None, 2) and len(epochs) == 2
    registry.save_model(model, deepsurv.NAME,
                        minimal_card(model_details={"custom_objects_module":
                                                    "medcore.survival.cox"}),
                        tmp_path)
    again = registry.load_model(deepsurv.NAME, tmp_path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_train_writes_a_usable_predictor(tmp_path, monkeypatch):
    monkeypatch.setattr(deepsurv, "NUM_MEMBERS", 2)
    monkeypatch.setitem(deepsurv.HYPERPARAMETERS, "max_epochs", 3)
    monkeypatch.setitem(deepsurv.HYPERPARAMETERS, "hidden_units", (8,))
    card = deepsurv.train(models_dir=tmp_path)
    assert card.model_details.architecture["members"] == 2
    model = registry.serving_model(deepsurv.NAME, tmp_path)
    assert model(deepsurv.model_input(pd.DataFrame([PATIENT])))["log_risk"].shape == (1, 2)
    patients = pd.DataFrame([PATIENT, {**PATIENT, "nodes": 20, "grade": 3}])
    times = np.linspace(0, card.parameters["max_years"], 30)
    prediction = deepsurv.predict(model, patients, times=times)
    assert prediction.survival.shape == (2, 30) and prediction.log_risk.shape == (2,)
    np.testing.assert_allclose(prediction.survival[:, 0], 1.0)
    assert (np.diff(prediction.upper, axis=1) <= 1e-12).all()
    assert (prediction.lower <= prediction.survival).all()
    assert (prediction.survival <= prediction.upper).all()
    scored = deepsurv.score_records(model, patients)
    assert {"rfs_1y", "rfs_3y", "rfs_5y", "rfs_5y_low", "rfs_5y_high"} <= set(scored.columns)
    assert (scored["rfs_5y_low"] <= scored["rfs_5y"]).all()


@pytest.mark.slow
def test_shipped_model_on_gbsg_reaches_the_target():
    if not registry.is_available(deepsurv.NAME):
        pytest.skip("breast_cancer_deepsurv is not shipped yet (python -m medcore train ...)")
    from medcore.survival.metrics import harrell_c

    model = registry.serving_model(deepsurv.NAME)
    x, time, event = deepsurv.test_inputs()
    assert x.shape == (686, 8)
    assert harrell_c(time, event, deepsurv.predict(model, x, times=[5.0]).log_risk) >= 0.67
    background = deepsurv.training_background(n=50)
    assert background.shape == (50, 8)
