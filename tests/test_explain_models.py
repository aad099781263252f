"""The shipped models' explanations: additivity, shapes, words (skipped while a model is absent)."""
from __future__ import annotations

import numpy as np
import pytest

from medcore import registry
from medcore.explain import describe_in_words


def _need(name):
    if not registry.is_available(name):
        pytest.skip(f"{name} is not shipped yet (python -m medcore train {name})")


#: Slow: SHAP explainers on the shipped models.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models():
    pytest.importorskip("keras")
    from medcore.explain import models

    return models


@pytest.mark.parametrize("name,target", [("breast_cancer_fnn", "probability"),
                                         ("breast_cancer_fnn", "logit"),
                                         ("breast_cancer_deepsurv", "log_risk"),
                                         ("breast_cancer_deepsurv", "survival_5y")])
def test_shipped_tabular_models_are_additive(models, name, target):
    _need(name)
    explainer = models.build_explainer(name, target)
    rows = models.test_sample(name, 20)
    g = explainer.explain_global(rows)
    assert g.attributions.shape == (20, len(models.feature_names(name)))
    assert np.abs(g.residuals).max() < 1e-4  # DeepExplainer: exact up to float32 rounding
    e = explainer.explain(rows[0])
    assert e.output == pytest.approx(g.outputs[0], abs=1e-6)
    text = describe_in_words(e)
    assert text.startswith(f"The predicted {registry.spec(name).target(target).output_name} is ")


def test_deepsurv_heads_match_the_predictor(models):
    _need("breast_cancer_deepsurv")
    from medcore.models import breast_cancer_deepsurv

    served = registry.serving_model("breast_cancer_deepsurv")
    x = models.test_sample("breast_cancer_deepsurv", 5)
    prediction = breast_cancer_deepsurv.predict(served, x, times=[5.0])
    log_risk = np.asarray(models.explained_model("breast_cancer_deepsurv", "log_risk")(x))[:, 0]
    np.testing.assert_allclose(log_risk, prediction.log_risk, atol=1e-5)
    survival = np.asarray(models.explained_model("breast_cancer_deepsurv", "survival_5y")(x))
    np.testing.assert_allclose(survival[:, 0], prediction.survival[:, 0], atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pneumonia_cnn", "pbc_rnn"])
def test_shipped_image_and_sequence_explanations(models, name, request):
    _need(name)
    if name == "pneumonia_cnn":
        request.getfixturevalue("data_dir")  # its background is PneumoniaMNIST: skip without it
    explainer = models.build_explainer(name)
    x = models.test_sample(name, 2)
    e = explainer.explain(x[0])
    if name == "pneumonia_cnn":
        assert e.attributions.shape == x.shape[1:3]
    else:  # latest visit vs history per biomarker, on the served (recalibrated) output
        assert e.attributions.shape == (2, x.shape[2]) and abs(e.residual) < 1e-9
        assert e.extras["parts"] == ("history", "now")
        survival = models.served_output(name)(x[:1])[0]
        assert e.output == pytest.approx(survival)
    assert e.relative_residual < 0.5
    np.testing.assert_array_equal(e.attributions, explainer.explain(x[0]).attributions)
    assert "The predicted" in describe_in_words(e)
