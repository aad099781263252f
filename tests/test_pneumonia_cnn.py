"""pneumonia_cnn: data loader checks, calibration fit, prediction API, the shipped model's AUC."""
from __future__ import annotations

import numpy as np
import pytest

from medcore import registry
from medcore.datasets.pneumoniamnist import load_pneumoniamnist
from medcore.errors import DataUnavailableError, DataValidationError
from tests.conftest import pneumoniamnist_file


def _write_npz(path, **overrides):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 6), ("val", 4), ("test", 4)):
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = np.array([[0], [1]] * (n // 2), dtype=np.uint8)
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return path


def test_loader_reads_the_medmnist_layout(tmp_path):
    data = load_pneumoniamnist(_write_npz(tmp_path / "pneumoniamnist.npz"))
    assert data.train.images.shape == (6, 28, 28, 1) and data.train.images.dtype == np.uint8
    assert data.test.labels.tolist() == [0, 1, 0, 1]
    assert len(data.val) == 4


def test_loader_messages(tmp_path, monkeypatch):
    monkeypatch.delenv("MEDCORE_DATA_DIR", raising=False)
    with pytest.raises(DataUnavailableError, match="pneumoniamnist.npz was not found"):
        load_pneumoniamnist(tmp_path)
    bad = _write_npz(tmp_path / "a.npz", val_labels=None)
    with pytest.raises(DataValidationError, match="has no val_labels"):
        load_pneumoniamnist(bad)
    bad = _write_npz(tmp_path / "b.npz", test_images=np.zeros((4, 64, 64), np.uint8))
    with pytest.raises(DataValidationError, match=r"expected uint8 \(n, 28, 28\)"):
        load_pneumoniamnist(bad)


def test_fit_platt_recovers_a_known_scaling():
    from medcore.models.pneumonia_cnn import fit_platt

    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 1)) + rng.normal(0, 0.1, (4000, 3))
    labels = rng.uniform(size=4000) < 1 / (1 + np.exp(-(0.5 * logits.mean(axis=1) - 1.0)))
    scale, offset = fit_platt(logits, labels)
    assert scale == pytest.approx(0.5, abs=0.08)
    assert offset == pytest.approx(-1.0, abs=0.15)


def test_predict_returns_probability_and_member_spread():
    pytest.importorskip("keras")
    from medcore.models.pneumonia_cnn import predict, serving_graph
    from medcore.networks.convolutional import build_cnn, build_ensemble
    from medcore.serving import KerasServing

    members = [build_cnn((28, 28, 1), filters=(4,), convs_per_block=1, name=n) for n in "abc"]
    ensemble = build_ensemble(members)
    model = KerasServing(serving_graph(ensemble))
    images = np.random.default_rng(0).integers(0, 256, (2, 28, 28)).astype(np.uint8)
    result = predict(model, images)
    np.testing.assert_allclose(result.probability,
                               np.asarray(ensemble(images[..., None].astype(np.float32)))[:, 0],
                               atol=1e-6)
    assert result.probability.shape == (2,) and result.member_probabilities.shape == (2, 3)
    np.testing.assert_allclose(result.spread, result.member_probabilities.std(axis=1))
    assert ((result.probability > 0) & (result.probability < 1)).all()
    with pytest.raises(DataValidationError, match=r"Expected images of shape \(n, 28, 28, 1\)"):
        predict(model, np.zeros((1, 32, 32, 1)))


def test_score_records_gives_one_row_per_image():
    pytest.importorskip("keras")
    import pandas as pd

    from medcore.imaging import scan_from_array
    from medcore.models.pneumonia_cnn import predict, score_records, serving_graph
    from medcore.networks.convolutional import build_cnn, build_ensemble
    from medcore.serving import KerasServing

    ensemble = build_ensemble([build_cnn((28, 28, 1), filters=(4,), convs_per_block=1, name=n)
                               for n in "ab"])
    model = KerasServing(serving_graph(ensemble))
    images = np.random.default_rng(1).integers(0, 256, (3, 28, 28)).astype(np.uint8)
    frame = pd.DataFrame({"id": ["a", "b", "c"],
                          "image": [images[0], images[1], scan_from_array(images[2])]})
    scored = score_records(model, frame, threshold=0.5)
    assert list(scored.columns) == ["id", "P(pneumonia)", "ensemble_sd", "call"]
    np.testing.assert_allclose(scored["P(pneumonia)"], predict(model, images).probability,
                               atol=1e-6)
    assert set(scored["call"]) <= {"pneumonia", "normal"}
    with pytest.raises(DataValidationError, match="expected an 'image' column"):
        score_records(model, frame.drop(columns="image"), threshold=0.5)


@pytest.mark.slow
def test_shipped_model_on_the_test_split(data_dir):
    """A bad retrain cannot land: the shipped ensemble keeps test AUC >= 0.96, and the card's
    evaluation is what the shipped file gives now."""
    from sklearn.metrics import roc_auc_score

    from medcore import registry
    from medcore.models import pneumonia_cnn

    pneumoniamnist_file(data_dir)
    model = registry.serving_model("pneumonia_cnn")
    images, labels = pneumonia_cnn.test_inputs(data_dir)
    assert images.shape == (624, 28, 28, 1)
    probability = pneumonia_cnn.predict(model, images).probability
    auc = roc_auc_score(labels, probability)
    assert auc >= 0.96
    card = registry.load_card("pneumonia_cnn")
    assert card.evaluation["test"]["auc"] == pytest.approx(auc, abs=1e-4)
    background = pneumonia_cnn.training_background(8, data=data_dir)
    assert background.shape == (8, 28, 28, 1) and background.dtype == np.uint8


def test_operating_point_sentence():
    from medcore.models.pneumonia_cnn import operating_point_sentence

    evaluation = {"n_test": 624, "test": {"sensitivity": 0.9923, "specificity": 0.829}}
    assert operating_point_sentence(evaluation).startswith(
        "At this threshold the model finds 99 of 100 pneumonias and wrongly flags 17 of 100 "
        "normal radiographs")
    assert operating_point_sentence(None) == "" and operating_point_sentence({}) == ""


def test_the_card_keeps_the_reliability_curve_its_test_ece_comes_from():
    card = registry.load_card("pneumonia_cnn")
    test = card.evaluation["test"]
    bins = test["reliability"]
    assert sum(b["n"] for b in bins) == card.evaluation["n_test"]
    ece = sum(b["n"] * abs(b["positives"] / b["n"] - b["predicted"]) for b in bins) \
        / card.evaluation["n_test"]
    assert ece == pytest.approx(test["ece"], abs=1e-3)       # bins rounded to 4 decimals
    assert all(b["observed"] == pytest.approx(b["positives"] / b["n"], abs=1e-4) for b in bins)
