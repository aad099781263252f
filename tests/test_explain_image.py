"""Image SHAP + Grad-CAM on a tiny CNN that only sees the left half; deletion curves."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medcore.explain import (ImageExplainer, deletion_curve, deletion_curves,  # noqa: E402
                             describe_in_words, region_shares)


def _left_half_cnn():
    """A CNN whose output depends only on the left half of a 12x12 image (right half cropped)."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((12, 12, 1))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Cropping2D(((0, 0), (0, 6)))(x)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                            kernel_initializer=keras.initializers.RandomUniform(0.0, 0.5))(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid",
                                 kernel_initializer=keras.initializers.Constant(1.0))(x)
    return keras.Model(inputs, outputs)


def _images(n, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=(n, 12, 12, 1)).astype("float32")


def test_attributions_only_on_the_half_the_network_sees():
    model = _left_half_cnn()
    explainer = ImageExplainer(model, model_name="toy", output_name="probability of pneumonia",
                               nsamples=100, with_grad_cam=False).fit(_images(20))
    e = explainer.explain(_images(1, seed=1)[0])
    assert e.kind == "image"
    assert e.attributions.shape == (12, 12) == e.values.shape
    assert np.abs(e.attributions[:, 6:]).max() == 0.0
    assert np.abs(e.attributions[:, :6]).sum() > 0
    assert region_shares(e.attributions)["left"] == pytest.approx(1.0)
    assert e.residual == pytest.approx(e.output - e.base_value - e.attributions.sum())
    text = describe_in_words(e)
    assert "probability of pneumonia" in text and "left side" in text


def test_explanation_is_deterministic_and_carries_grad_cam():
    model = _left_half_cnn()
    explainer = ImageExplainer(model, nsamples=50).fit(_images(10))
    image = _images(1, seed=2)
    first, second = explainer.explain(image), explainer.explain(image)
    np.testing.assert_array_equal(first.attributions, second.attributions)
    cam = first.extras.get("grad_cam")
    assert cam is not None and cam.shape == (12, 12)
    assert 0.0 <= cam.min() and cam.max() <= 1.0


def test_deletion_curve_removes_the_ranked_pixels_first():
    def predict(batch):  # the score is the mean of the left half: a known answer
        return batch[:, :, :6, 0].mean(axis=(1, 2))

    image = np.full((12, 12, 1), 200.0, dtype="float32")
    reference = np.zeros_like(image)
    ranking = np.zeros((12, 12))
    ranking[:, :6] = 1.0
    curve = deletion_curve(predict, image, ranking, reference, steps=4)
    assert curve.shape == (5,)
    assert curve[0] == pytest.approx(200.0) and curve[2] == pytest.approx(0.0)
    curves = deletion_curves(predict, image[None], ranking[None], reference, steps=4)
    assert curves.auc_attribution < curves.auc_random
    with pytest.raises(ValueError, match="expected the image's"):
        deletion_curve(predict, image, ranking[:5], reference)


def test_bad_background_is_refused():
    with pytest.raises(ValueError, match="expected a batch of images"):
        ImageExplainer(_left_half_cnn()).fit(np.zeros((12, 12)))


def test_faithfulness_reports_the_gradient_x_difference_order_the_diagnosis_page_shows():
    from medcore.explain.faithfulness import image_faithfulness

    model = _left_half_cnn()
    explainer = ImageExplainer(model, nsamples=20).fit(_images(10))
    _, curves = image_faithfulness(explainer, _images(3, seed=3), steps=4)
    assert set(curves) == {"shap", "grad_cam", "gradient_input"}
    ours = curves["gradient_input"]
    assert ours.attribution.shape == (3, 5)
    np.testing.assert_array_equal(ours.random, curves["shap"].random)   # one random baseline
