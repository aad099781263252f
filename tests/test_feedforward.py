"""Tests for medcore.networks.feedforward.build_feedforward."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medcore.networks.feedforward import adapted_normalizer, build_feedforward  # noqa: E402


def _data(n=40, k=5, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(100.0, 20.0, size=(n, k))).astype("float32")


def test_sigmoid_shapes_and_range():
    x = _data()
    model = build_feedforward(5, hidden_units=(8, 4), normalizer=x, name="tiny")
    assert model.name == "tiny"
    assert model.input_shape == (None, 5)
    assert model.output_shape == (None, 1)
    y = model.predict(x, verbose=0)
    assert y.shape == (40, 1)
    assert np.all((y >= 0) & (y <= 1))
    assert not model.compiled  # uncompiled


def test_linear_cox_head_without_bias():
    model = build_feedforward(3, hidden_units=(4,), output_activation="linear",
                              output_use_bias=False, dropout=0.0)
    assert model.get_layer("output").use_bias is False
    y = model.predict(_data(k=3), verbose=0)
    assert y.shape == (40, 1)


def test_multi_output_and_no_hidden_layer():
    model = build_feedforward(5, hidden_units=(), output_units=3, output_activation="softmax")
    y = model.predict(_data(), verbose=0)
    assert y.shape == (40, 3)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


def test_normalizer_layer_is_used_inside():
    x = _data()
    layer = adapted_normalizer(x)
    model = build_feedforward(5, hidden_units=(4,), normalizer=layer)
    assert layer in model.layers
    normalized = layer(x).numpy()
    np.testing.assert_allclose(normalized.mean(axis=0), 0.0, atol=1e-4)


def test_l2_adds_losses():
    model = build_feedforward(5, hidden_units=(4,), l2=1e-3)
    model(_data())
    assert len(model.losses) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"num_features": 0}, "num_features=0; expected a positive integer"),
    ({"num_features": 5, "dropout": 1.0}, r"dropout=1.0; expected a rate in \[0, 1\)"),
    ({"num_features": 5, "hidden_units": (4, 0)}, "expected positive widths"),
    ({"num_features": 5, "l2": -1.0}, "expected a non-negative penalty"),
    ({"num_features": 5, "output_units": 0}, "output_units=0"),
    ({"num_features": 5, "normalizer": np.zeros((4, 3))}, r"expected \(n_samples, 5\)"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_feedforward(**kwargs)


def test_normalizer_rejects_nan():
    x = _data()
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        adapted_normalizer(x)


def test_save_load_round_trip(tmp_path):
    x = _data()
    model = build_feedforward(5, hidden_units=(4,), normalizer=x)
    path = tmp_path / "ff.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
