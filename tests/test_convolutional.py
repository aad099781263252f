"""build_cnn / build_ensemble: shapes, input checks, a training step, .keras round trip."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medcore.networks.convolutional import (  # noqa: E402
    LogitScaling, build_cnn, build_ensemble, member_probability_model)


def _tiny(name="tiny"):
    return build_cnn((12, 12, 1), filters=(4, 8), convs_per_block=1, name=name)


def test_build_cnn_shapes_and_name():
    model = build_cnn((28, 28, 1), filters=(8, 16, 32), name="pneumo")
    assert model.name == "pneumo"
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 1)
    out = model(np.zeros((3, 28, 28, 1), "float32"), training=False)
    assert tuple(out.shape) == (3, 1)
    assert model.layers[1].__class__.__name__ == "Rescaling"


@pytest.mark.parametrize("kwargs, message", [
    ({"input_shape": (28, 28)}, "input_shape must be"),
    ({"filters": ()}, "filters must be positive"),
    ({"filters": (4, 4, 4, 4, 4, 4)}, "halve"),
    ({"dropout": 1.0}, "dropout must be in"),
])
def test_build_cnn_rejects_bad_arguments(kwargs, message):
    kwargs = {"input_shape": (28, 28, 1), **kwargs}
    with pytest.raises(ValueError, match=message):
        build_cnn(kwargs.pop("input_shape"), **kwargs)


@pytest.mark.slow       # compiles and fits a CNN
def test_tiny_network_trains_one_step():
    model = _tiny()
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    x = np.random.default_rng(0).uniform(0, 255, (16, 12, 12, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 127).astype("float32")
    before = [w.numpy().copy() for w in model.trainable_weights]
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(before, model.trainable_weights))


def test_ensemble_outputs_calibrated_mean_logit_and_member_probabilities():
    members = [_tiny("a"), _tiny("b")]
    ensemble = build_ensemble(members, scale=0.5, offset=0.2)
    x = np.random.default_rng(1).uniform(0, 255, (5, 12, 12, 1)).astype("float32")
    logits = np.concatenate([np.asarray(m(x, training=False)) for m in members], axis=1)
    calibrated = 0.5 * logits + 0.2
    expected = 1 / (1 + np.exp(-calibrated.mean(axis=1, keepdims=True)))
    np.testing.assert_allclose(np.asarray(ensemble(x, training=False)), expected, rtol=1e-5)
    probability, per_member = member_probability_model(ensemble)(x, training=False)
    np.testing.assert_allclose(np.asarray(probability), expected, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(per_member), 1 / (1 + np.exp(-calibrated)), rtol=1e-5)


def test_ensemble_rejects_bad_members():
    with pytest.raises(ValueError, match="at least one member"):
        build_ensemble([])
    with pytest.raises(ValueError, match="same input shape"):
        build_ensemble([_tiny("a"), build_cnn((16, 16, 1), filters=(4,), name="b")])
    with pytest.raises(ValueError, match="scale must be > 0"):
        LogitScaling(scale=0.0)
    with pytest.raises(ValueError, match="has no layer"):
        member_probability_model(_tiny())


def test_keras_round_trip_gives_same_predictions(tmp_path):
    ensemble = build_ensemble([_tiny("a"), _tiny("b")], scale=0.7, offset=-0.1, name="ens")
    x = np.random.default_rng(2).uniform(0, 255, (4, 12, 12, 1)).astype("float32")
    path = tmp_path / "ens.keras"
    ensemble.save(path)
    loaded = keras.saving.load_model(path, compile=False, safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)),
                               np.asarray(ensemble(x, training=False)), rtol=1e-6)
    assert loaded.get_layer("calibration").scale == pytest.approx(0.7)
