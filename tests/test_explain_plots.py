"""Figure builders of medcore.plots.explanation on hand-made explanations (no TensorFlow)."""
from __future__ import annotations

import numpy as np
import pytest

from medcore.explain import Explanation, GlobalExplanation, deletion_curves
from medcore.plots import explanation as plots


def _tabular(residual=0.0):
    attributions = np.array([0.3, -0.1, 0.05])
    return Explanation(attributions=attributions, base_value=0.4,
                       output=0.4 + attributions.sum() + residual,
                       feature_names=("nodes", "hormon", "age"), values=np.array([12, 1, 50.0]),
                       method="test", kind="tabular", output_name="probability of malignancy",
                       output_unit="probability", residual=residual)


def test_waterfall_runs_from_base_to_output_and_shows_a_residual():
    figure = plots.waterfall(_tabular(), top=2)
    trace = figure.data[0]
    assert list(trace.measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert trace.y[0] == "average patient" and trace.y[-1] == "this patient"
    assert "12 positive lymph nodes" in trace.y
    assert sum(trace.x[:-1]) == pytest.approx(trace.x[-1])
    with_residual = plots.waterfall(_tabular(residual=0.02)).data[0]
    assert "residual (not attributed)" in with_residual.y
    assert sum(with_residual.x[:-1]) == pytest.approx(with_residual.x[-1])


def test_image_overlays_and_their_errors():
    image = Explanation(attributions=np.eye(4), base_value=0.5, output=0.9,
                        feature_names=(), values=np.full((4, 4), 100.0), method="test",
                        kind="image", output_unit="probability",
                        extras={"grad_cam": np.eye(4)})
    shap_figure = plots.image_overlay(image, opacity=0.3)
    assert len(shap_figure.data) == 2 and shap_figure.data[1].opacity == 0.3
    assert plots.image_overlay(image, layer="grad_cam").data[1].zmax == 1.0
    with pytest.raises(ValueError, match="expected 'shap' or 'grad_cam'"):
        plots.image_overlay(image, layer="lime")


def test_sequence_heatmap_shows_real_visits_only():
    e = Explanation(attributions=np.ones((3, 2)), base_value=0.0, output=6.0,
                    feature_names=("bili", "albumin"), values=np.ones((3, 2)), method="t",
                    kind="sequence", extras={"visit_mask": np.array([True, True, False])})
    figure = plots.sequence_heatmap(e)
    assert np.asarray(figure.data[0].z).shape == (2, 2)


def test_global_figures_and_deletion_plot():
    rng = np.random.default_rng(0)
    g = GlobalExplanation(attributions=rng.normal(size=(20, 3)), values=rng.normal(size=(20, 3)),
                          outputs=np.zeros(20), base_value=0.0, feature_names=("a", "b", "c"),
                          method="t")
    assert len(plots.mean_abs_bar(g).data[0].x) == 3
    assert len(plots.beeswarm(g).data[0].x) == 60
    assert len(plots.dependence(g, "b").data[0].x) == 20
    with pytest.raises(ValueError, match="Unknown feature"):
        plots.dependence(g, "z")
    curves = deletion_curves(lambda b: b.mean(axis=(1, 2, 3)), np.ones((1, 4, 4, 1)),
                             np.ones((1, 4, 4)), np.zeros((4, 4, 1)), steps=4)
    assert len(plots.deletion_plot(curves).data) == 2
