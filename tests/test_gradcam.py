"""Grad-CAM on toy networks whose answer is known."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medcore.explain.gradcam import grad_cam, last_conv_layer_name  # noqa: E402
from medcore.networks.convolutional import build_cnn, build_ensemble  # noqa: E402


def _half_looker(side: str, name: str = "toy") -> keras.Model:
    """Sees only one half of a 16 x 16 image: the other half is zeroed before any convolution."""
    inputs = keras.Input((16, 16, 1))
    crop = ((0, 0), (0, 8)) if side == "left" else ((0, 0), (8, 0))
    x = keras.layers.Cropping2D(crop)(inputs)
    x = keras.layers.ZeroPadding2D(crop)(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(2, 1, use_bias=False, kernel_initializer="ones", name="conv")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(x)
    return keras.Model(inputs, out, name=name)


@pytest.mark.parametrize("side", ["left", "right"])
def test_grad_cam_lights_the_half_the_network_looks_at(side):
    images = np.random.default_rng(0).uniform(1, 255, (3, 16, 16, 1)).astype("float32")
    cam = grad_cam(_half_looker(side), images)
    assert cam.shape == (3, 16, 16) and cam.dtype == np.float32
    assert cam.min() >= 0.0 and cam.max() <= 1.0
    seen, unseen = (cam[:, :, :7], cam[:, :, 9:]) if side == "left" else (cam[:, :, 9:],
                                                                           cam[:, :, :7])
    assert seen.mean() > 0.3
    assert unseen.max() < 1e-6


def test_last_conv_layer_is_detected_after_batchnorm_and_relu():
    model = build_cnn((12, 12, 1), filters=(4, 8), convs_per_block=1, name="m")
    assert last_conv_layer_name(model) == "m_block2_relu1"


def test_ensemble_map_is_the_mean_of_member_maps():
    members = [build_cnn((12, 12, 1), filters=(4, 8), convs_per_block=1, name=n) for n in "ab"]
    images = np.random.default_rng(1).uniform(0, 255, (2, 12, 12, 1)).astype("float32")
    cam = grad_cam(build_ensemble(members), images)
    expected = np.mean([grad_cam(m, images) for m in members], axis=0)
    np.testing.assert_allclose(cam, expected, atol=1e-6)


def test_grad_cam_errors():
    dense = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="no Conv2D layer"):
        grad_cam(dense, np.zeros((1, 4, 4, 1)))
    with pytest.raises(ValueError, match="images must have shape"):
        grad_cam(_half_looker("left"), np.zeros((16, 16)))
