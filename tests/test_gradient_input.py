"""Gradient x difference on a network whose answer is known, and its place on the film."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medcore.explain.gradient_input import gradient_times_difference  # noqa: E402


def test_a_linear_model_gets_its_weights_times_the_difference_exactly():
    inputs = keras.Input((4, 4, 1))
    flat = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(1, use_bias=False, name="linear")
    model = keras.Model(inputs, dense(flat))
    weights = np.arange(16, dtype=np.float32).reshape(16, 1) - 8
    dense.set_weights([weights])
    rng = np.random.default_rng(0)
    images = rng.random((3, 4, 4, 1), dtype=np.float32)
    reference = np.full((4, 4, 1), 0.5, np.float32)
    maps = gradient_times_difference(model, images, reference)
    expected = weights.reshape(4, 4)[None] * (images[..., 0] - 0.5)
    np.testing.assert_allclose(maps, expected, rtol=1e-5, atol=1e-6)
    # The map adds up to the change of the output from the reference (a linear model).
    outputs = np.asarray(model(images))[:, 0] - np.asarray(model(reference[None]))[0, 0]
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), outputs, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="the reference has shape"):
        gradient_times_difference(model, images, reference[:2])


def test_the_map_lies_over_the_square_the_model_read_on_the_film():
    from medcore.imaging import model_square, scan_from_array
    from medcore.plots.images import scan_figure

    film = scan_from_array(np.zeros((300, 200), np.uint8), modality="DX")
    top, left, side = model_square(film)
    assert (top, left, side) == (50, 0, 200)
    figure = scan_figure(film.display(), overlay=np.ones((28, 28)) - 2 * np.eye(28),
                         overlay_box=(top, left, side), overlay_signed=True, show_scale=False,
                         height=300)
    heat = figure.data[1]
    assert heat.y0 - heat.dy / 2 == pytest.approx(top - 0.5)
    assert heat.dy * 28 == pytest.approx(side) and heat.dx * 28 == pytest.approx(side)
    assert heat.zmin == -heat.zmax and heat.showscale is False
    assert figure.layout.height == 300
