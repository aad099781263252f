"""Plotly figures of explanations: waterfall, image overlays, visits x features heatmap,
mean |SHAP| bar, beeswarm, dependence plot, deletion curves. No Streamlit, no TensorFlow."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from medcore.explain.core import Explanation, GlobalExplanation
from medcore.explain.faithfulness import DeletionCurves
from medcore.explain.words import describe_feature, format_contribution, format_output

#: Red raises the output, blue lowers it (as in the shap package's plots).
DIVERGING = "RdBu_r"
#: The same, transparent around 0 so the image shows through where nothing was attributed.
DIVERGING_TRANSPARENT = [[0.0, "rgba(5,48,97,1)"], [0.3, "rgba(67,147,195,0.8)"],
                         [0.5, "rgba(247,247,247,0)"], [0.7, "rgba(214,96,77,0.8)"],
                         [1.0, "rgba(103,0,31,1)"]]
#: Grad-CAM: transparent where the map is 0.
HEAT_TRANSPARENT = [[0.0, "rgba(0,0,4,0)"], [0.3, "rgba(120,28,109,0.6)"],
                    [0.7, "rgba(237,105,37,0.9)"], [1.0, "rgba(252,255,164,1)"]]
POSITIVE, NEGATIVE = "#d62728", "#1f77b4"


def _scale(unit: str) -> float:
    return 100.0 if unit in ("probability", "survival probability") else 1.0


def _axis_title(e_unit: str, output_name: str) -> str:
    if e_unit in ("probability", "survival probability"):
        return f"{output_name} (%)"
    return output_name


def waterfall(explanation: Explanation, top: int = 10) -> go.Figure:
    """From the base value to the output: the ``top`` largest contributions, the rest pooled,
    and the additivity residual as its own grey bar when it is not negligible."""
    e = explanation
    scale = _scale(e.output_unit)
    contributions = np.asarray(e.by_feature, dtype=float)
    order = list(np.argsort(-np.abs(contributions))[:top])[::-1]
    rest = [i for i in range(len(contributions)) if i not in order]
    labels, steps, texts = ["average patient"], [e.base_value * scale], [""]
    if rest:
        labels.append(f"{len(rest)} other features")
        steps.append(contributions[rest].sum() * scale)
        texts.append(format_contribution(contributions[rest].sum(), e.output_unit))
    for i in order:
        labels.append(describe_feature(e, i))
        steps.append(contributions[i] * scale)
        texts.append(format_contribution(contributions[i], e.output_unit))
    measures = ["absolute"] + ["relative"] * (len(labels) - 1)
    if abs(e.residual) > 1e-3 * max(abs(e.output - e.base_value), 1e-3):
        labels.append("residual (not attributed)")
        steps.append(e.residual * scale)
        texts.append(format_contribution(e.residual, e.output_unit))
        measures.append("relative")
    labels.append("this patient")
    steps.append(e.output * scale)
    texts.append(format_output(e.output, e.output_unit))
    measures.append("total")
    texts[0] = format_output(e.base_value, e.output_unit)
    figure = go.Figure(go.Waterfall(
        orientation="h", y=labels, x=steps, measure=measures, text=texts,
        textposition="outside", cliponaxis=False, increasing={"marker": {"color": POSITIVE}},
        decreasing={"marker": {"color": NEGATIVE}}, totals={"marker": {"color": "#7f7f7f"}},
        connector={"line": {"color": "#bbbbbb"}}))
    figure.update_layout(title=f"Why this {e.output_name}", height=120 + 28 * len(labels),
                         xaxis_title=_axis_title(e.output_unit, e.output_name),
                         margin={"l": 10, "r": 40, "t": 50, "b": 40}, showlegend=False)
    return figure


def image_overlay(explanation: Explanation, *, layer: str = "shap",
                  opacity: float = 0.5) -> go.Figure:
    """The input image in grey with an attribution map on top.

    ``layer="shap"``: SHAP values on a diverging scale centred at 0 (red raised the output).
    ``layer="grad_cam"``: the Grad-CAM map in [0, 1]. ``opacity`` in [0, 1].

    Raises
    ------
    ValueError
        Unknown layer, or no Grad-CAM map in the explanation.
    """
    e = explanation
    if layer == "shap":
        overlay = np.asarray(e.attributions, dtype=float)
        limit = float(np.abs(overlay).max()) or 1.0
        heat = go.Heatmap(z=overlay, colorscale=DIVERGING_TRANSPARENT, zmin=-limit, zmax=limit,
                          opacity=opacity, colorbar={"title": "SHAP"}, name="SHAP")
        title = "SHAP (expected gradients): red raised the probability, blue lowered it"
    elif layer == "grad_cam":
        if "grad_cam" not in e.extras:
            raise ValueError("This explanation has no Grad-CAM map; build the explainer with "
                             "with_grad_cam=True on a convolutional model.")
        heat = go.Heatmap(z=np.asarray(e.extras["grad_cam"], dtype=float),
                          colorscale=HEAT_TRANSPARENT, zmin=0.0, zmax=1.0, opacity=opacity, colorbar={"title": "Grad-CAM"},
                          name="Grad-CAM")
        title = "Grad-CAM: where the last convolution looked (bright = more)"
    else:
        raise ValueError(f"Unknown layer {layer!r}; expected 'shap' or 'grad_cam'.")
    image = go.Heatmap(z=np.asarray(e.values, dtype=float), colorscale="gray", showscale=False,
                       hoverinfo="skip")
    figure = go.Figure([image, heat])
    figure.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    figure.update_xaxes(showticklabels=False, constrain="domain")
    figure.update_layout(title=title, height=420, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return figure


def sequence_heatmap(explanation: Explanation) -> go.Figure:
    """Visits (rows, real visits only) x features (columns), SHAP on a diverging scale."""
    e = explanation
    mask = e.extras.get("visit_mask", np.ones(len(e.attributions), dtype=bool))
    rows = np.flatnonzero(mask)
    years = e.extras.get("visit_years")
    labels = [f"visit {k + 1}" + (f" ({years[r]:.1f} y)" if years is not None else "")
              for k, r in enumerate(rows)]
    z = np.asarray(e.attributions, dtype=float)[rows] * _scale(e.output_unit)
    limit = float(np.abs(z).max()) or 1.0
    custom = np.asarray(e.values, dtype=float)[rows]
    figure = go.Figure(go.Heatmap(
        z=z, x=list(e.feature_names), y=labels, colorscale=DIVERGING, zmin=-limit, zmax=limit,
        customdata=custom, colorbar={"title": "pp" if _scale(e.output_unit) == 100 else "SHAP"},
        hovertemplate="%{y}<br>%{x} = %{customdata:.3g}<br>SHAP %{z:+.2f}<extra></extra>"))
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(title=f"Which visit, which biomarker: contributions to the "
                               f"{e.output_name}", height=160 + 26 * len(rows),
                         margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return figure


def _order(g: GlobalExplanation, top: int) -> np.ndarray:
    return np.argsort(-g.mean_abs)[:top]


def mean_abs_bar(g: GlobalExplanation, top: int = 15) -> go.Figure:
    """Mean |SHAP| per feature over the sample, largest first."""
    order = _order(g, top)[::-1]
    figure = go.Figure(go.Bar(x=g.mean_abs[order], y=[g.feature_names[i] for i in order],
                              orientation="h", marker_color=POSITIVE))
    figure.update_layout(title=f"Global importance: mean |SHAP| on {len(g.attributions)} test "
                               "inputs", xaxis_title=f"mean |change in {g.output_name}|",
                         height=140 + 24 * len(order), margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return figure


def beeswarm(g: GlobalExplanation, top: int = 12, seed: int = 0) -> go.Figure:
    """One dot per input and feature: SHAP value (x), feature (row), feature value (colour,
    as its rank within the sample: low blue, high red)."""
    rng = np.random.default_rng(seed)
    order = _order(g, top)[::-1]
    xs, ys, colours, texts = [], [], [], []
    for row, i in enumerate(order):
        values = g.values[:, i]
        ranks = values.argsort().argsort() / max(len(values) - 1, 1)
        xs.extend(g.attributions[:, i])
        ys.extend(row + rng.uniform(-0.3, 0.3, size=len(values)))
        colours.extend(ranks)
        texts.extend(f"{g.feature_names[i]} = {v:.3g}" for v in values)
    figure = go.Figure(go.Scattergl(
        x=xs, y=ys, mode="markers", text=texts,
        marker={"color": colours, "colorscale": DIVERGING, "size": 5, "opacity": 0.8,
                "colorbar": {"title": "feature value", "tickvals": [0, 1],
                             "ticktext": ["low", "high"]}},
        hovertemplate="%{text}<br>SHAP %{x:+.3f}<extra></extra>"))
    figure.update_yaxes(tickvals=list(range(len(order))),
                        ticktext=[g.feature_names[i] for i in order])
    figure.add_vline(x=0, line_color="#999999")
    figure.update_layout(title="Beeswarm: each dot is one test input",
                         xaxis_title=f"SHAP value (change in {g.output_name})",
                         height=140 + 30 * len(order), margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return figure


def dependence(g: GlobalExplanation, feature: str) -> go.Figure:
    """Feature value (x) against its SHAP value (y) over the sample.

    Raises
    ------
    ValueError
        ``feature`` is not one of the explanation's features.
    """
    if feature not in g.feature_names:
        raise ValueError(f"Unknown feature {feature!r}; expected one of "
                         f"{', '.join(g.feature_names)}.")
    i = g.feature_names.index(feature)
    figure = go.Figure(go.Scatter(x=g.values[:, i], y=g.attributions[:, i], mode="markers",
                                  marker={"color": POSITIVE, "size": 6, "opacity": 0.7}))
    figure.add_hline(y=0, line_color="#999999")
    figure.update_layout(title=f"Dependence: how {feature} moves the {g.output_name}",
                         xaxis_title=feature, yaxis_title="SHAP value", height=380,
                         margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return figure


def deletion_plot(curves: DeletionCurves, label: str = "SHAP order") -> go.Figure:
    """Mean deletion curve by attribution order vs random order, with their AUCs."""
    figure = go.Figure()
    for name, data, auc in ((label, curves.attribution, curves.auc_attribution),
                            ("random order", curves.random, curves.auc_random)):
        figure.add_trace(go.Scatter(x=curves.fractions, y=data.mean(axis=0), mode="lines",
                                    name=f"{name} (AUC {auc:.3f})"))
    figure.update_layout(title="Deletion curve: most-attributed pixels removed first",
                         xaxis_title="fraction of pixels removed", yaxis_title="model score",
                         height=360)
    return figure


def mean_abs_map(mean_abs: np.ndarray, n_images: int) -> go.Figure:
    """Mean |SHAP| per pixel over ``n_images`` test images: where the model looks in general."""
    figure = go.Figure(go.Heatmap(z=np.asarray(mean_abs, dtype=float), colorscale="Inferno",
                                  colorbar={"title": "mean |SHAP|"}))
    figure.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    figure.update_xaxes(showticklabels=False, constrain="domain")
    figure.update_layout(title=f"Global importance: mean |SHAP| per pixel on {n_images} test "
                               "images", height=420, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return figure
