"""Sequence SHAP on a tiny masked GRU: visits x features, padded visits get exactly 0."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medcore.explain import (SequenceExplainer, describe_in_words, select_output,  # noqa: E402
                             visit_mask)

NAMES = ("bili", "albumin", "protime")


def _gru(grid=4):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, len(NAMES)))
    x = keras.layers.Masking(0.0)(inputs)
    x = keras.layers.GRU(8)(x)
    outputs = keras.layers.Dense(grid, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def _sequences(n, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(n, 6, len(NAMES))) + [2.0, 3.5, 11.0]).astype("float32")
    lengths = rng.integers(2, 7, size=n)
    for i, length in enumerate(lengths):
        x[i, length:] = 0.0
    return x


def test_visits_by_features_with_padding_at_zero():
    model = select_output(_gru(), 2)
    explainer = SequenceExplainer(model, feature_names=NAMES, model_name="toy",
                                  output_name="survival probability at 5 years",
                                  output_unit="survival probability", nsamples=100
                                  ).fit(_sequences(30))
    patient = _sequences(1, seed=5)[0]
    patient[3:] = 0.0
    e = explainer.explain(patient)
    assert e.kind == "sequence"
    assert e.attributions.shape == (6, len(NAMES))
    assert np.all(e.attributions[3:] == 0.0) and np.abs(e.attributions[:3]).sum() > 0
    assert e.by_visit.shape == (6,) and e.by_feature.shape == (len(NAMES),)
    assert e.by_visit.sum() == pytest.approx(e.by_feature.sum())
    assert abs(e.residual) < 0.5 * max(abs(e.output - e.base_value), 1e-3) + 0.01
    second = explainer.explain(patient)
    np.testing.assert_array_equal(e.attributions, second.attributions)
    text = describe_in_words(e)
    assert "Of the 3 visits" in text and "percentage points" in text


@pytest.mark.slow       # expected gradients over many visit histories
def test_global_explanation_and_errors():
    model = select_output(_gru(), 0)
    explainer = SequenceExplainer(model, feature_names=NAMES, nsamples=50).fit(_sequences(20))
    g = explainer.explain_global(_sequences(4, seed=3))
    assert g.attributions.shape == (4, len(NAMES)) == g.values.shape
    assert np.all(g.values != 0.0)  # last real visit, never padding
    with pytest.raises(ValueError, match="expected 3 \\(bili, albumin, protime\\)"):
        explainer.explain(np.ones((5, 2)))
    shorter = explainer.explain(np.ones((4, 3)))  # padded to the background's 6 visits
    assert shorter.attributions.shape == (6, 3) and np.all(shorter.attributions[4:] == 0)
    longer = explainer.explain(np.ones((8, 3)))  # the background is padded to 8 visits
    assert longer.attributions.shape == (8, 3) and longer.extras["visit_mask"].all()
    with_nan = np.ones((4, 3))
    with_nan[0, 0] = np.nan
    assert np.isfinite(explainer.explain(with_nan).attributions).all()
    with pytest.raises(ValueError, match="has 4 output columns"):
        select_output(_gru(), 7)
    assert visit_mask(np.array([[1.0, 0.0], [0.0, 0.0]])).tolist() == [True, False]
