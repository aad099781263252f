"""ServedShapleyExplainer: Shapley values of a served model's output (toy functions, no
TensorFlow)."""
from __future__ import annotations

import numpy as np
import pytest

import medcore.explain.served as served
from medcore.explain.served import ServedShapleyExplainer

WEIGHTS = np.array([0.5, -1.0, 2.0, 0.0])


def _linear(x):
    return np.asarray(x, dtype=float) @ WEIGHTS


def _explainer(predict, width=4):
    background = np.random.default_rng(0).normal(size=(30, width))
    return ServedShapleyExplainer(predict, feature_names=[f"f{i}" for i in range(width)],
                                  output_name="risk", output_unit="probability",
                                  reference_name="toy patients").fit(background)


def test_exact_values_of_a_linear_model_are_weight_times_distance_to_the_mean():
    explainer = _explainer(_linear)
    x = np.array([1.0, 2.0, -1.0, 5.0])
    e = explainer.explain(x)
    expected = WEIGHTS * (x - explainer.background_.mean(axis=0))
    np.testing.assert_allclose(e.attributions, expected, atol=1e-6)
    assert e.base_value == pytest.approx(_linear(explainer.background_).mean())
    assert abs(e.residual) < 1e-9 and e.extras["reference_name"] == "30 toy patients"
    assert e.extras["reference_band"].shape == (2, 4)


def test_an_interaction_is_shared_equally_and_sampling_stays_additive(monkeypatch):
    def product(x):
        x = np.asarray(x, dtype=float)
        return x[:, 0] * x[:, 1]

    explainer = _explainer(product, width=2)
    e = explainer.explain(np.array([2.0, 3.0]))
    assert e.attributions.sum() == pytest.approx(e.output - e.base_value)
    monkeypatch.setattr(served, "EXACT_MAX_FEATURES", 1)          # force the sampled path
    sampled = _explainer(product, width=2).explain(np.array([2.0, 3.0]))
    assert abs(sampled.residual) < 1e-9
    np.testing.assert_allclose(sampled.attributions, e.attributions, atol=1e-9)  # 2 inputs:
    g = explainer.explain_global(np.array([[1.0, 1.0], [2.0, 3.0]]))  # both orders seen
    np.testing.assert_allclose(g.residuals, 0.0, atol=1e-9)


def test_wrong_widths_say_what_was_expected():
    with pytest.raises(ValueError, match="expected \\(n, 4\\)"):
        ServedShapleyExplainer(_linear, feature_names=list("abcd")).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="Expected 4 features per row"):
        _explainer(_linear).explain(np.zeros(3))
