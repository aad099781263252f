"""Figure builders of medcore.plots.explanation on hand-made explanations (no TensorFlow)."""
from __future__ import annotations

from dataclasses import replace

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
    assert trace.y[0].startswith("average training patient: 40%")
    assert trace.y[-1] == "this patient: 65%"
    assert "12 positive lymph nodes +30 pp" in trace.y
    assert sum(trace.x[:-1]) == pytest.approx(trace.x[-1])
    with_residual = plots.waterfall(_tabular(residual=0.02)).data[0]
    assert "not attributed (residual) +2.0 pp" in with_residual.y
    assert sum(with_residual.x[:-1]) == pytest.approx(with_residual.x[-1])


def test_waterfall_colours_are_the_patients_direction_whatever_the_output():
    from medcore.plots import palette

    risk = plots.waterfall(_tabular())                    # probability of malignancy: up = worse
    assert risk.data[0].increasing.marker.color == palette.WORSE
    assert risk.data[0].decreasing.marker.color == palette.BETTER
    assert risk.layout.xaxis.title.text == "probability of malignancy (%)"
    survival = plots.waterfall(replace(_tabular(), output_name="5-year survival",
                                       output_unit="survival probability"))
    assert survival.data[0].increasing.marker.color == palette.BETTER   # up = better
    assert survival.data[0].decreasing.marker.color == palette.WORSE
    assert survival.layout.xaxis.title.text == "5-year survival (%)"
    legend = [t.name for t in survival.data if t.showlegend]
    assert legend == [palette.WORSE_LABEL, palette.BETTER_LABEL]


def test_waterfall_labels_never_overlap_long_names_and_mixed_signs():
    """Values are part of their label (no text beside a bar can run into a name); long labels
    wrap, and the figure grows by one line height per wrapped line."""
    long_names = ("a very long laboratory marker name that goes on and on",
                  "another marker with an equally long and descriptive name here", "age")
    e = Explanation(attributions=np.array([-0.17, 0.018, -0.018]), base_value=0.5,
                    output=0.5 - 0.17, feature_names=long_names,
                    values=np.array([1.0, 2.0, 3.0]), method="t", kind="tabular",
                    output_name="probability of being alive", output_unit="survival probability")
    figure = plots.waterfall(e)
    trace = figure.data[0]
    assert trace.textposition == "none"
    lines = [line for label in trace.y for line in label.split("<br>")]
    assert max(len(line) for line in lines) <= plots.LABEL_WIDTH
    assert any("-17 pp" in label for label in trace.y)
    assert any("+1.8 pp" in label for label in trace.y)
    assert any("-1.8 pp" in label for label in trace.y)
    assert figure.layout.height >= plots.LINE_PX * len(lines) + 150
    assert figure.layout.yaxis.automargin


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


def _global(unit="survival probability", name="5-year survival"):
    attributions = np.array([[0.10, -0.02], [0.04, -0.06], [-0.01, -0.03]])
    return GlobalExplanation(attributions=attributions, values=np.array([[1, 5], [2, 6], [3, 7.]]),
                             outputs=np.zeros(3), base_value=0.5, feature_names=("a", "b"),
                             method="t", output_name=name, output_unit=unit)


def test_global_figures_are_in_percentage_points_and_coloured_by_direction():
    from medcore.plots import palette

    g = _global()                                              # survival: up = better
    bar = plots.mean_abs_bar(g)
    assert bar.layout.xaxis.title.text == ("mean change in the 5-year survival "
                                           "(percentage points)")
    down, up = bar.data[0], bar.data[1]
    assert down.marker.color == palette.WORSE and up.marker.color == palette.BETTER
    assert up.x[list(up.y).index("a")] == pytest.approx(100 * 0.14 / 3)       # pp
    swarm = plots.beeswarm(g)
    colours = dict(zip(np.round(swarm.data[0].x, 6), swarm.data[0].marker.color))
    assert colours[10.0] == palette.BETTER and colours[-6.0] == palette.WORSE
    assert swarm.layout.xaxis.title.text == "change in the 5-year survival (percentage points)"
    dep = plots.dependence(g, "b")
    assert list(dep.data[0].y) == pytest.approx([-2.0, -6.0, -3.0])
    assert set(dep.data[0].marker.color) == {palette.WORSE}
    assert dep.layout.yaxis.title.text == "change in the 5-year survival (percentage points)"
    risk = plots.beeswarm(_global("probability", "probability of malignancy"))
    colours = dict(zip(np.round(risk.data[0].x, 6), risk.data[0].marker.color))
    assert colours[10.0] == palette.WORSE and colours[-6.0] == palette.BETTER   # up = worse
    for figure in (bar, swarm, dep, risk):
        assert [t.name for t in figure.data if t.showlegend] == [palette.WORSE_LABEL,
                                                                 palette.BETTER_LABEL]


def test_image_overlay_uses_the_palette():
    from medcore.plots import palette

    image = Explanation(attributions=np.eye(4) * 0.01, base_value=0.5, output=0.54,
                        feature_names=(), values=np.full((4, 4), 100.0), method="test",
                        kind="image", output_name="probability of pneumonia",
                        output_unit="probability")
    heat = plots.image_overlay(image).data[1]
    assert heat.zmax == pytest.approx(1.0)                                   # pp
    assert heat.colorscale[-1][1] == palette.rgba(palette.WORSE, 1.0)        # towards disease
    assert heat.colorscale[0][1] == palette.rgba(palette.BETTER, 1.0)
