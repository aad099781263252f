"""Tabular SHAP on tiny networks: additivity, determinism, logit and survival wrappers."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medcore.explain import (TabularExplainer, additivity_ok, input_key, logit_model,  # noqa: E402
                             survival_at_horizon_model)

NAMES = ("age", "nodes", "pgr", "er", "grade")


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, len(NAMES))) * [10, 3, 100, 80, 1] + [55, 4, 150, 120, 2]
            ).astype("float32")


def _net(activation="sigmoid", seed=0):
    keras.utils.set_random_seed(seed)
    data = _data()
    norm = keras.layers.Normalization()
    norm.adapt(data)
    inputs = keras.Input((len(NAMES),))
    hidden = keras.layers.Dense(8, activation="relu")(norm(inputs))
    hidden = keras.layers.Dropout(0.1)(hidden)
    outputs = keras.layers.Dense(1, activation=activation)(hidden)
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("activation", ["sigmoid", "linear"])
def test_deep_explainer_is_additive(activation):
    model = _net(activation)
    explainer = TabularExplainer(model, feature_names=NAMES).fit(_data()[:100])
    for row in _data(5, seed=1):
        e = explainer.explain(row)
        assert e.attributions.shape == (len(NAMES),)
        assert abs(e.residual) < 1e-4
        assert additivity_ok(e)
        assert e.output == pytest.approx(float(model(row[None])[0, 0]), abs=1e-6)


def test_gradient_explainer_residual_is_reported_and_shrinks_with_samples():
    # Expected gradients is a Monte-Carlo estimate: its additivity residual is ~ 1/sqrt(nsamples).
    model = _net("linear")
    rows = _data(6, seed=2)
    medians = []
    for nsamples in (100, 1600):
        explainer = TabularExplainer(model, feature_names=NAMES, method="gradient",
                                     nsamples=nsamples).fit(_data()[:100])
        explanations = [explainer.explain(row) for row in rows]
        for e in explanations:
            assert e.method.startswith("shap.GradientExplainer")
            assert e.residual == pytest.approx(e.output - e.base_value - e.attributions.sum())
        medians.append(np.median([e.relative_residual for e in explanations]))
    assert medians[1] < medians[0]
    assert medians[1] < 0.1


def test_explanations_are_deterministic():
    model = _net()
    row = _data(1, seed=3)[0]
    for method in ("deep", "gradient"):
        a = TabularExplainer(model, feature_names=NAMES, method=method).fit(_data()[:50])
        first, second = a.explain(row), a.explain(row)
        np.testing.assert_array_equal(first.attributions, second.attributions)
    assert input_key("m", row) == input_key("m", row.copy())
    assert input_key("m", row) != input_key("m", row + 1)


def test_logit_and_survival_wrappers_match_by_hand():
    model = _net("sigmoid")
    x = _data(4, seed=4)
    p = model(x).numpy()[:, 0]
    logit = logit_model(model)(x).numpy()[:, 0]
    np.testing.assert_allclose(logit, np.log(p / (1 - p)), rtol=1e-4, atol=1e-4)
    cox = _net("linear")
    surv = survival_at_horizon_model(cox, 0.4)(x).numpy()[:, 0]
    np.testing.assert_allclose(surv, np.exp(-0.4 * np.exp(cox(x).numpy()[:, 0])), rtol=1e-5)
    e = TabularExplainer(survival_at_horizon_model(cox, 0.4), feature_names=NAMES
                         ).fit(_data()[:100]).explain(x[0])
    assert abs(e.residual) < 1e-4


def test_bad_inputs_are_refused_with_a_fix():
    model = _net()
    with pytest.raises(ValueError, match="expected one of"):
        TabularExplainer(model, feature_names=NAMES, method="kernel").fit(_data())
    with pytest.raises(ValueError, match="Pass training rows in the model's feature order"):
        TabularExplainer(model, feature_names=NAMES[:3]).fit(_data())
    explainer = TabularExplainer(model, feature_names=NAMES).fit(_data()[:20])
    with pytest.raises(ValueError, match="Expected 5 features per row"):
        explainer.explain(np.zeros(4))
    with pytest.raises(ValueError, match="does not end in a sigmoid"):
        logit_model(_net("linear"))
    with pytest.raises(ValueError, match="finite and >= 0"):
        survival_at_horizon_model(_net("linear"), -1.0)


def test_global_explanation_shapes():
    model = _net()
    g = TabularExplainer(model, feature_names=NAMES).fit(_data()[:50]).explain_global(_data(30, 5))
    assert g.attributions.shape == (30, len(NAMES)) == g.values.shape
    assert g.mean_abs.shape == (len(NAMES),)
    assert np.abs(g.residuals).max() < 1e-4
