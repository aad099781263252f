"""The recurrent survival network: masking, preprocessing, loss and targets, save/load."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from medcore.networks.recurrent import (ClinicalPreprocessing, build_rnn, discrete_time_loss,
                                        discrete_time_targets, hazard_model)

F = 4
EDGES = np.array([0.0, 1.0, 2.0, 3.0])


def tiny(**kwargs) -> keras.Model:
    return build_rnn(F, num_intervals=3, units=3, fill_values=[1.0, 2.0, 3.0, 4.0],
                     log_features=[False, True, False, False],
                     mean=[0.0] * F, variance=[1.0] * F, **kwargs)


def sequence(length: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.5, 2.0, (length, F)).astype("float32")


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_padded_sequence_gives_the_unpadded_output(cell):
    model = tiny(cell=cell)
    seq = sequence(3)
    padded = np.zeros((1, 7, F), dtype="float32")
    padded[0, :3] = seq
    np.testing.assert_allclose(model(seq[None]).numpy(), model(padded).numpy(), atol=1e-6)


def test_batch_of_different_lengths_matches_one_by_one():
    model = tiny()
    short, long = sequence(2, 1), sequence(5, 2)
    batch = np.zeros((2, 5, F), dtype="float32")
    batch[0, :2], batch[1] = short, long
    together = model(batch).numpy()
    np.testing.assert_allclose(together[0], model(short[None]).numpy()[0], atol=1e-6)
    np.testing.assert_allclose(together[1], model(long[None]).numpy()[0], atol=1e-6)


def test_output_is_a_decreasing_survival_curve():
    survival = tiny()(sequence(4)[None]).numpy()[0]
    assert survival.shape == (3,)
    assert np.all((survival > 0) & (survival < 1)) and np.all(np.diff(survival) <= 0)


def test_missing_values_are_filled_and_logged():
    layer = ClinicalPreprocessing([1.0, np.e, 3.0], [False, True, False])
    out = layer(np.array([[[np.nan, np.nan, 5.0]]], dtype="float32")).numpy()
    np.testing.assert_allclose(out[0, 0], [1.0, 1.0, 5.0], atol=1e-6)


def test_nan_in_a_visit_is_not_mistaken_for_padding():
    model = tiny()
    seq = sequence(3)
    with_gap = seq.copy()
    with_gap[1, 0] = np.nan  # filled with 1.0 inside the model
    filled = seq.copy()
    filled[1, 0] = 1.0
    np.testing.assert_allclose(model(with_gap[None]).numpy(), model(filled[None]).numpy(),
                               atol=1e-6)


def test_save_and_load_round_trip(tmp_path):
    model = tiny()
    x = sequence(4)[None]
    path = tmp_path / "rnn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False, safe_mode=True)
    np.testing.assert_allclose(model(x).numpy(), loaded(x).numpy(), atol=1e-6)


def test_hazard_model_shares_weights():
    model = tiny()
    logits = hazard_model(model)(sequence(2)[None]).numpy()[0]
    expected = np.cumprod(1.0 / (1.0 + np.exp(logits)))
    np.testing.assert_allclose(model(sequence(2)[None]).numpy()[0], expected, rtol=1e-5)


def test_ensemble_output_is_the_mean_of_its_members():
    model = tiny(members=3)
    x = sequence(3)[None]
    logits = hazard_model(model)(x)
    assert len(logits) == 3
    curves = [np.cumprod(1.0 / (1.0 + np.exp(np.asarray(lg)[0]))) for lg in logits]
    np.testing.assert_allclose(model(x).numpy()[0], np.mean(curves, axis=0), rtol=1e-5)
    padded = np.zeros((1, 6, F), dtype="float32")
    padded[0, :3] = x[0]
    np.testing.assert_allclose(model(x).numpy(), model(padded).numpy(), atol=1e-6)


@pytest.mark.slow       # trains three GRUs
def test_ensemble_trains_every_member(tmp_path):
    model = tiny(members=2)
    trainer = hazard_model(model)
    trainer.compile(optimizer="adam", loss=[discrete_time_loss] * 2)
    x = np.stack([sequence(3, s) for s in range(8)])
    y = discrete_time_targets(np.linspace(0.2, 2.8, 8), np.arange(8) % 2, EDGES)
    before = [model.get_layer(f"hazard_logits_{m}").get_weights()[0].copy() for m in (1, 2)]
    trainer.fit(x, [y, y], epochs=1, verbose=0)
    for m, weights in zip((1, 2), before):
        assert not np.allclose(model.get_layer(f"hazard_logits_{m}").get_weights()[0], weights)
    model.save(tmp_path / "ensemble.keras")
    loaded = keras.saving.load_model(tmp_path / "ensemble.keras", compile=False, safe_mode=True)
    np.testing.assert_allclose(model(x).numpy(), loaded(x).numpy(), atol=1e-6)


def test_targets_for_death_censoring_and_beyond_the_grid():
    targets = discrete_time_targets(np.array([1.5, 1.7, 1.2, 9.0, 0.0]),
                                    np.array([1, 0, 0, 0, 1]), EDGES)
    assert targets.shape == (5, 3, 2)
    np.testing.assert_array_equal(targets[0, :, 0], [0, 1, 0])   # death in (1, 2]
    np.testing.assert_array_equal(targets[0, :, 1], [1, 1, 0])
    np.testing.assert_array_equal(targets[1, :, 1], [1, 1, 0])   # censored after midpoint
    np.testing.assert_array_equal(targets[2, :, 1], [1, 0, 0])   # censored before midpoint
    np.testing.assert_array_equal(targets[3, :, 1], [1, 1, 1])   # beyond the grid
    np.testing.assert_array_equal(targets[4, :, 0], [1, 0, 0])   # death at time 0


def test_targets_refuse_negative_times():
    with pytest.raises(ValueError, match="observed time contains values smaller zero"):
        discrete_time_targets(np.array([-1.0]), np.array([1]), EDGES)


def test_loss_is_the_discrete_time_likelihood():
    logits = np.array([[0.3, -0.2, 0.1]], dtype="float32")
    hazard = 1.0 / (1.0 + np.exp(-logits[0]))
    targets = discrete_time_targets(np.array([1.5]), np.array([1]), EDGES)
    loss = float(np.asarray(discrete_time_loss(targets, logits))[0])
    assert loss == pytest.approx(-np.log(1 - hazard[0]) - np.log(hazard[1]), rel=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"cell": "rnn"}, "expected 'gru' or 'lstm'"),
    ({"units": 0}, "expected positive integers"),
    ({"mean": [0.0]}, "mean has 1 entries; expected num_features=4"),
])
def test_build_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_rnn(F, **kwargs)
