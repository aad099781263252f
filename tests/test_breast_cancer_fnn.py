"""Tests for medcore.datasets.wdbc and medcore.models.breast_cancer_fnn."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medcore import registry
from medcore.datasets import wdbc
from medcore.errors import DataValidationError
from medcore.models import breast_cancer_fnn as fnn
from medcore.serving import KerasServing
from medcore.schemas import WDBC
from tests.conftest import minimal_card

shipped = pytest.mark.skipif(not registry.is_available(fnn.NAME),
                             reason="breast_cancer_fnn is not trained and shipped")


def test_feature_order_and_label_coding():
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    assert list(fnn.FEATURE_NAMES) == list(bunch.feature_names) == WDBC.feature_names
    data = wdbc.load_wdbc()
    assert data.features.shape == (569, 30)
    assert data.labels.sum() == 212  # malignant = 1 (sklearn's 0)
    np.testing.assert_array_equal(data.labels, 1 - bunch.target)


def test_fixed_split_is_stratified_deterministic_and_disjoint():
    labels = wdbc.load_wdbc().labels
    first, second = wdbc.fixed_split(labels), wdbc.fixed_split(labels)
    np.testing.assert_array_equal(first.test_index, second.test_index)
    assert len(first.test_index) == 114 and len(first.train_index) == 455
    assert not set(first.test_index) & set(first.train_index)
    assert labels[first.test_index].sum() == 42
    assert first.test_sha256 == wdbc.indices_sha256(first.test_index[::-1])


def test_model_input_checks():
    frame = wdbc.load_wdbc().features.head(4)
    assert fnn.model_input(frame[list(reversed(frame.columns))]).shape == (4, 30)
    with pytest.raises(DataValidationError, match="lack 1 feature column"):
        fnn.model_input(frame.drop(columns=["worst area"]))
    bad = frame.copy()
    bad.loc[bad.index[2], "mean radius"] = np.nan
    with pytest.raises(DataValidationError, match="records 3 contain empty or non-numeric"):
        fnn.model_input(bad)
    with pytest.raises(DataValidationError, match=r"shape \(2, 29\); expected \(n, 30\)"):
        fnn.model_input(np.zeros((2, 29)))


def test_training_background_comes_from_the_training_split():
    background = fnn.training_background(n=20, seed=1)
    assert background.shape == (20, 30) and background.dtype == np.float32
    dev = fnn.development_data()
    train_rows = {tuple(r) for r in dev.x_train}
    assert all(tuple(r) in train_rows for r in background)


@pytest.mark.slow       # fits a network, saves and reloads it
def test_fit_on_a_tiny_slice_and_round_trip(tmp_path):
    dev = fnn.development_data()
    x, y = dev.x_train[:80], dev.y_train[:80]
    config = fnn.Config(hidden_units=(4,), dropout=0.0, l2=0.0)
    model, _, _ = fnn._fit(config, x, y, seed=0, epochs=10)
    card = minimal_card(threshold={"value": 0.4, "rule": "a test's"})
    registry.save_model(model, fnn.NAME, card, tmp_path)
    loaded = registry.serving_model(fnn.NAME, tmp_path)
    frame = pd.DataFrame(dev.x_test[:7], columns=list(fnn.FEATURE_NAMES))
    before = fnn.predict(KerasServing(fnn.serving_graph(model)), frame).probability
    after = fnn.predict(loaded, frame).probability
    assert before.shape == (7,) and np.all((before >= 0) & (before <= 1))
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6)
    scored = fnn.score_records(loaded, frame, 0.5)
    assert list(scored.columns[-2:]) == ["P(malignant)", "call"]
    assert set(scored["call"]) <= {"malignant", "benign"}
    by_card = fnn.score_records(loaded, frame)                      # the card's threshold, 0.4
    np.testing.assert_array_equal(by_card["call"], fnn.call_label(after, 0.4))


@pytest.mark.slow
def test_train_protocol_end_to_end_on_a_small_setting(tmp_path, monkeypatch):
    monkeypatch.setattr(fnn, "GRID", {"hidden_units": [(4,)], "dropout": [0.0], "l2": [1e-4]})
    monkeypatch.setattr(fnn, "CV_FOLDS", 2)
    monkeypatch.setattr(fnn, "CV_REPEATS", 1)
    monkeypatch.setattr(fnn, "MAX_EPOCHS", 20)
    card = fnn.train(models_dir=tmp_path, progress=lambda message: None)
    splits = card.training_data.details["splits"]
    assert splits["test_index_sha256"] == fnn.development_data().test_sha256
    assert 0.0 < card.threshold.value <= 1.0
    assert set(card.input_contract.training_ranges) == set(fnn.FEATURE_NAMES)
    radius = card.input_contract.training_ranges["mean radius"]
    assert radius.min < radius.median < radius.max
    assert card.training_data.details["licence"] == "CC BY 4.0"
    assert registry.load_card(fnn.NAME, tmp_path).to_dict() == card.to_dict()
    assert registry.load_model(fnn.NAME, tmp_path) is not None


@shipped
@pytest.mark.slow
def test_shipped_model_on_the_held_out_split():
    from sklearn.metrics import roc_auc_score

    card = registry.load_card(fnn.NAME)
    splits = card.training_data.details["splits"]
    assert splits["test_index_sha256"] == fnn.development_data().test_sha256
    labels, probability = fnn.test_predictions(registry.serving_model(fnn.NAME))
    assert roc_auc_score(labels, probability) >= 0.99
    assert np.mean((probability >= card.threshold.value) == labels) >= 0.93


@shipped
@pytest.mark.slow
def test_evaluate_shape_and_baselines():
    result = fnn.evaluate()
    assert result["model"] == fnn.NAME and result["n_test"] == 114
    for name in ("auc", "accuracy", "sensitivity", "specificity", "brier", "ece"):
        low, high = result["test"]["ci95"][name]
        assert low <= result["test"][name] <= high
    assert set(result["baselines"]) == {"logistic_regression", "gradient_boosting"}
    assert result["baselines"]["logistic_regression"]["auc"] > 0.95


def test_classification_figures_follow_the_threshold():
    from medcore.plots import classification as plots

    rng = np.random.default_rng(0)
    y = np.array([0] * 30 + [1] * 20)
    p = np.clip(y * 0.6 + rng.uniform(0, 0.4, size=50), 0, 1)
    roc = plots.roc_figure(y, p, 0.5)
    assert roc.data[-1].name == "threshold 0.50" and "AUC" in roc.layout.title.text
    assert plots.precision_recall_figure(y, p, 0.5).data[-1].x[0] == pytest.approx(1.0)
    confusion = plots.confusion_figure(y, p, 0.99)
    assert confusion.data[0].text[1][1].startswith("true positive<br>")
    calibration = plots.calibration_figure(y, p, 0.5, num_bins=5)
    low = calibration.data[1].y - calibration.data[1].error_y.arrayminus
    assert np.all(low >= -1e-9)
    assert len(plots.probability_histogram(y, p, 0.5).data) == 2


def test_the_confusion_table_states_the_figures_counts():
    from medcore.metrics import confusion_at
    from medcore.plots import classification as plots

    y = np.array([0] * 30 + [1] * 20)
    p = np.r_[np.linspace(0, 0.6, 30), np.linspace(0.3, 1, 20)]
    c = confusion_at(y, p, 0.5)
    table = plots.confusion_markdown(y, p, 0.5)
    header, rule, benign, malignant = table.splitlines()
    assert header == "| n = 50 | called benign | called malignant |" and rule == "|---|---:|---:|"
    assert (f"true negative: **{c['tn']}** ({c['tn'] / 30:.0%})" in benign
            and f"false positive: **{c['fp']}**" in benign)
    assert (f"false negative: **{c['fn']}**" in malignant
            and f"true positive: **{c['tp']}** ({c['tp'] / 20:.0%})" in malignant)
