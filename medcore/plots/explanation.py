"""Plotly figures of explanations: waterfall, image overlays, latest-visit-vs-history bars,
global bars, beeswarm, dependence plot, deletion curves. No Streamlit, no TensorFlow.

One unit and one palette (the clinical-language rules of DESIGN.md): every attribution is drawn in
percentage points (pp) of the outcome named on the axis (log-risk and log-odds only in their own
units, for the technical details), and its colour is the patient's direction
(:mod:`medcore.plots.palette`): :data:`~medcore.plots.palette.WORSE` towards the worse outcome,
:data:`~medcore.plots.palette.BETTER` towards the better, whatever the output; the legend says so.
"""
from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go

from medcore.explain.core import Explanation, GlobalExplanation
from medcore.explain.faithfulness import DeletionCurves
from medcore.explain.words import (AGAINST_MEDICINE, claims, format_contribution, format_output,
                                   higher_is_better)
from medcore.plots import palette

#: Grad-CAM: transparent where the map is 0 (no sign: not a direction).
HEAT_TRANSPARENT = [[0.0, "rgba(0,0,4,0)"], [0.3, "rgba(120,28,109,0.6)"],
                    [0.7, "rgba(237,105,37,0.9)"], [1.0, "rgba(252,255,164,1)"]]
#: Waterfall labels are wrapped at this many characters (long names never run into the bars).
LABEL_WIDTH = 42
#: Height of one line of a waterfall label, in pixels.
LINE_PX = 17


def is_points(unit: str) -> bool:
    """Whether changes of this unit are drawn in percentage points (probabilities)."""
    return unit in ("probability", "survival probability")


def _scale(unit: str) -> float:
    return 100.0 if is_points(unit) else 1.0


def _axis_title(unit: str, output_name: str) -> str:
    return f"{output_name} (%)" if is_points(unit) else output_name


def change_title(unit: str, output_name: str) -> str:
    """The axis title of a change: ``"change in the probability of malignancy (pp)"``."""
    return (f"change in the {output_name} (percentage points)" if is_points(unit)
            else f"change in the {output_name}")


def direction_colours(values: np.ndarray, better_when_higher: bool) -> list[str]:
    """The palette colour of each change (towards the worse or the better outcome)."""
    return [palette.direction_colour(float(v), higher_is_better=better_when_higher)
            for v in np.asarray(values, dtype=float)]


def _legend(figure: go.Figure) -> None:
    """Two legend entries that say what the colours mean."""
    for colour, label in ((palette.WORSE, palette.WORSE_LABEL),
                          (palette.BETTER, palette.BETTER_LABEL)):
        figure.add_trace(go.Bar(x=[None], y=[None], marker_color=colour, name=label,
                                orientation="h", showlegend=True, hoverinfo="skip"))
    figure.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.0,
                                 "xanchor": "left", "x": 0.0})


def wrap_label(text: str, width: int = LABEL_WIDTH) -> str:
    """``text`` broken into lines of at most ``width`` characters (plotly ``<br>``)."""
    return "<br>".join(textwrap.wrap(text, width=width)) or text


def waterfall(explanation: Explanation, top: int = 10) -> go.Figure:
    """From the reference (the average of the reference patients, top) to this patient (bottom):
    the ``top`` largest changes, largest first, the rest pooled, and the additivity residual as
    its own grey bar when it is not negligible.

    Each bar's label carries its change (``"... -7.0 pp"``) instead of a text beside the bar, so
    a value never runs into a name; long names are wrapped and the figure grows with the lines.
    """
    e = explanation
    scale = _scale(e.output_unit)
    items = claims(e)
    effects = np.array([c.effect for c in items])
    order = list(np.argsort(-np.abs(effects))[:top])
    rest = [i for i in range(len(items)) if i not in order]
    labels = [f"{_reference_label(e)}: {format_output(e.base_value, e.output_unit)}"]
    steps, measures = [e.base_value * scale], ["absolute"]
    against = _against(e, [items[i] for i in order])
    for i in order:
        flag = f" ({AGAINST_MEDICINE} {against[id(items[i])]})" if id(items[i]) in against else ""
        labels.append(f"{items[i].text} {format_contribution(effects[i], e.output_unit)}{flag}")
        steps.append(effects[i] * scale)
        measures.append("relative")
    if rest:
        pooled = float(effects[rest].sum())
        labels.append(f"{len(rest)} other inputs together "
                      f"{format_contribution(pooled, e.output_unit)}")
        steps.append(pooled * scale)
        measures.append("relative")
    if abs(e.residual) > 1e-3 * max(abs(e.output - e.base_value), 1e-3):
        labels.append(f"not attributed (residual) {format_contribution(e.residual, e.output_unit)}")
        steps.append(e.residual * scale)
        measures.append("relative")
    labels.append(f"this patient: {format_output(e.output, e.output_unit)}")
    steps.append(e.output * scale)
    measures.append("total")
    wrapped = [wrap_label(label) for label in labels]
    better = higher_is_better(e)
    up = palette.direction_colour(1.0, higher_is_better=better)
    down = palette.direction_colour(-1.0, higher_is_better=better)
    figure = go.Figure(go.Waterfall(
        orientation="h", y=wrapped, x=steps, measure=measures, textposition="none",
        increasing={"marker": {"color": up}}, decreasing={"marker": {"color": down}},
        totals={"marker": {"color": palette.NEUTRAL}},
        connector={"line": {"color": palette.GUIDE}}, showlegend=False,
        hovertemplate="%{y}<extra></extra>"))
    _legend(figure)
    lines = sum(label.count("<br>") + 1 for label in wrapped)
    figure.update_layout(title=f"Why this {e.output_name}", height=150 + LINE_PX * lines
                         + 8 * len(wrapped), xaxis_title=_axis_title(e.output_unit,
                                                                      e.output_name),
                         yaxis={"automargin": True, "type": "category",
                                "autorange": "reversed"},            # read top to bottom
                         margin={"l": 10, "r": 20, "t": 80, "b": 40})
    return figure


def _against(e: Explanation, shown: list) -> dict[int, str]:
    """The shown items that go against a known direction: id -> what is known."""
    from medcore.explain.directions import contradictions
    from medcore.explain.words import explain_target, model_spec

    spec = model_spec(e.model_name)
    if spec is None:
        return {}
    return {id(c.claim): c.known.reason for c in contradictions(spec, explain_target(e), shown)}


def _reference_label(e: Explanation) -> str:
    name = e.extras.get("reference_name")
    return f"average of {name}" if name else "average training patient"


def _signed_scale(better_when_higher: bool) -> list:
    """A colour scale for signed attributions: the palette's direction at each end, transparent
    around 0 (the image shows through where nothing was attributed)."""
    negative = palette.direction_colour(-1.0, higher_is_better=better_when_higher)
    positive = palette.direction_colour(1.0, higher_is_better=better_when_higher)
    return [[0.0, palette.rgba(negative, 1.0)], [0.3, palette.rgba(negative, 0.7)],
            [0.5, "rgba(247,247,247,0)"], [0.7, palette.rgba(positive, 0.7)],
            [1.0, palette.rgba(positive, 1.0)]]


def image_overlay(explanation: Explanation, *, layer: str = "shap",
                  opacity: float = 0.5) -> go.Figure:
    """The input image in grey with an attribution map on top.

    ``layer="shap"``: SHAP values in percentage points on a scale centred at 0, coloured by the
    patient's direction (towards disease = :data:`~medcore.plots.palette.WORSE`).
    ``layer="grad_cam"``: the Grad-CAM map in [0, 1] (no sign). ``opacity`` in [0, 1].

    Raises
    ------
    ValueError
        Unknown layer, or no Grad-CAM map in the explanation.
    """
    e = explanation
    if layer == "shap":
        overlay = np.asarray(e.attributions, dtype=float) * _scale(e.output_unit)
        limit = float(np.abs(overlay).max()) or 1.0
        heat = go.Heatmap(z=overlay, colorscale=_signed_scale(higher_is_better(e)),
                          zmin=-limit, zmax=limit, opacity=opacity, name="SHAP",
                          colorbar={"title": "pp" if is_points(e.output_unit) else "SHAP"})
        title = (f"SHAP: orange pixels moved the estimate {palette.WORSE_LABEL}, blue "
                 f"{palette.BETTER_LABEL}")
    elif layer == "grad_cam":
        if "grad_cam" not in e.extras:
            raise ValueError("This explanation has no Grad-CAM map; build the explainer with "
                             "with_grad_cam=True on a convolutional model.")
        heat = go.Heatmap(z=np.asarray(e.extras["grad_cam"], dtype=float),
                          colorscale=HEAT_TRANSPARENT, zmin=0.0, zmax=1.0, opacity=opacity,
                          colorbar={"title": "Grad-CAM"}, name="Grad-CAM")
        title = "Grad-CAM: where the last convolution looked (bright = more; no direction)"
    else:
        raise ValueError(f"Unknown layer {layer!r}; expected 'shap' or 'grad_cam'.")
    image = go.Heatmap(z=np.asarray(e.values, dtype=float), colorscale="gray", showscale=False,
                       hoverinfo="skip")
    figure = go.Figure([image, heat])
    figure.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    figure.update_xaxes(showticklabels=False, constrain="domain")
    figure.update_layout(title=title, height=420, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return figure


def latest_and_history(explanation: Explanation, top: int = 8) -> go.Figure:
    """A visit-history explanation per biomarker: the change from its latest value (solid bar)
    and from its earlier values (hatched bar), in percentage points, coloured by direction."""
    e = explanation
    scale = _scale(e.output_unit)
    items = [c for c in claims(e) if c.part in ("now", "history")]
    totals: dict[str, float] = {}
    for c in items:
        totals[c.feature] = totals.get(c.feature, 0.0) + abs(c.effect)
    shown = sorted(totals, key=totals.get, reverse=True)[:top][::-1]
    better = higher_is_better(e)
    figure = go.Figure()
    for part, name, pattern in (("history", "earlier visits (the history)", "/"),
                                ("now", "latest visit (now)", "")):
        chosen = {c.feature: c for c in items if c.part == part}
        values = np.array([chosen[f].effect * scale for f in shown])
        figure.add_trace(go.Bar(
            x=values, y=[_biomarker_title(e, f) for f in shown], orientation="h", name=name,
            marker={"color": direction_colours(values, better),
                    "pattern": {"shape": pattern}}, showlegend=False,
            customdata=[chosen[f].text for f in shown],
            hovertemplate="%{customdata}: %{x:+.1f}<extra></extra>"))
    _legend(figure)
    for name, pattern in (("latest visit (now): solid", ""),
                          ("earlier visits (the history): hatched", "/")):
        figure.add_trace(go.Bar(x=[None], y=[None], orientation="h", name=name,
                                marker={"color": palette.NEUTRAL, "pattern": {"shape": pattern}},
                                hoverinfo="skip"))
    figure.add_vline(x=0, line_color=palette.GUIDE)
    figure.update_layout(title="Latest visit and history, per biomarker", barmode="group",
                         xaxis_title=change_title(e.output_unit, e.output_name),
                         height=170 + 44 * len(shown), margin={"l": 10, "r": 10, "t": 90,
                                                               "b": 40})
    return figure


def _biomarker_title(e: Explanation, name: str) -> str:
    from medcore.explain.words import feature_label, model_spec, schema_for

    spec = model_spec(e.model_name)
    return feature_label(name, schema_for(e.feature_names, spec), spec)


def sequence_heatmap(explanation: Explanation) -> go.Figure:
    """SHAP over visits x biomarkers (rows: real visits only), in percentage points, coloured
    by direction (for explanations of visits x biomarkers, not the latest-vs-history ones)."""
    e = explanation
    mask = e.extras.get("visit_mask", np.ones(len(e.attributions), dtype=bool))
    rows = np.flatnonzero(mask)
    years = e.extras.get("visit_years")
    labels = [f"visit {k + 1}" + (f" ({years[r]:.1f} y)" if years is not None else "")
              for k, r in enumerate(rows)]
    z = np.asarray(e.attributions, dtype=float)[rows] * _scale(e.output_unit)
    limit = float(np.abs(z).max()) or 1.0
    custom = np.asarray(e.values, dtype=float)[rows]
    scale = [[c[0], c[1].replace(", 0.7)", ", 1)")] for c in _signed_scale(higher_is_better(e))]
    scale[2][1] = "rgb(247,247,247)"
    figure = go.Figure(go.Heatmap(
        z=z, x=list(e.feature_names), y=labels, colorscale=scale, zmin=-limit, zmax=limit,
        customdata=custom, colorbar={"title": "pp" if is_points(e.output_unit) else "SHAP"},
        hovertemplate="%{y}<br>%{x} = %{customdata:.3g}<br>%{z:+.2f}<extra></extra>"))
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(title=f"Which visit, which biomarker: changes in the "
                               f"{e.output_name}", height=160 + 26 * len(rows),
                         margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return figure


def _order(g: GlobalExplanation, top: int) -> np.ndarray:
    return np.argsort(-g.mean_abs)[:top]


def mean_abs_bar(g: GlobalExplanation, top: int = 15) -> go.Figure:
    """Per input, the mean change it made towards a worse and towards a better outcome over
    the sample (percentage points, one bar each way), largest overall first."""
    order = _order(g, top)[::-1]
    scale = _scale(g.output_unit)
    better = higher_is_better(g)
    names = [g.feature_names[i] for i in order]
    up = np.where(g.attributions > 0, g.attributions, 0.0).mean(axis=0)[order] * scale
    down = np.where(g.attributions < 0, g.attributions, 0.0).mean(axis=0)[order] * scale
    figure = go.Figure()
    for values, sign in ((down, -1.0), (up, 1.0)):
        colour = palette.direction_colour(sign, higher_is_better=better)
        figure.add_trace(go.Bar(x=values, y=names, orientation="h", marker_color=colour,
                                showlegend=False,
                                hovertemplate="%{y}: %{x:+.2f} on average<extra></extra>"))
    _legend(figure)
    figure.add_vline(x=0, line_color=palette.GUIDE)
    figure.update_layout(title=f"Which inputs move the estimate, on {len(g.attributions)} test "
                               "inputs", barmode="relative",
                         xaxis_title=f"mean {change_title(g.output_unit, g.output_name)}",
                         height=170 + 24 * len(order), margin={"l": 10, "r": 10, "t": 90,
                                                               "b": 40})
    return figure


def beeswarm(g: GlobalExplanation, top: int = 12, seed: int = 0) -> go.Figure:
    """One dot per input and patient: its change in the outcome (x, percentage points), the
    input (row); colour = the patient's direction, the input's value on hover."""
    rng = np.random.default_rng(seed)
    order = _order(g, top)[::-1]
    scale = _scale(g.output_unit)
    better = higher_is_better(g)
    xs, ys, texts = [], [], []
    for row, i in enumerate(order):
        xs.extend(g.attributions[:, i] * scale)
        ys.extend(row + rng.uniform(-0.3, 0.3, size=len(g.attributions)))
        texts.extend(f"{g.feature_names[i]} = {v:.3g}" for v in g.values[:, i])
    xs = np.asarray(xs)
    figure = go.Figure(go.Scattergl(
        x=xs, y=ys, mode="markers", text=texts, showlegend=False,
        marker={"color": direction_colours(xs, better), "size": 5, "opacity": 0.8},
        hovertemplate="%{text}<br>%{x:+.2f}<extra></extra>"))
    _legend(figure)
    figure.update_yaxes(tickvals=list(range(len(order))),
                        ticktext=[g.feature_names[i] for i in order])
    figure.add_vline(x=0, line_color=palette.GUIDE)
    figure.update_layout(title="Each dot is one test patient",
                         xaxis_title=change_title(g.output_unit, g.output_name),
                         height=170 + 30 * len(order), margin={"l": 10, "r": 10, "t": 90,
                                                               "b": 40})
    return figure


def dependence(g: GlobalExplanation, feature: str) -> go.Figure:
    """The input's value (x) against the change it made in the outcome (y, percentage points)
    over the sample, coloured by direction.

    Raises
    ------
    ValueError
        ``feature`` is not one of the explanation's features.
    """
    if feature not in g.feature_names:
        raise ValueError(f"Unknown feature {feature!r}; expected one of "
                         f"{', '.join(g.feature_names)}.")
    i = g.feature_names.index(feature)
    changes = g.attributions[:, i] * _scale(g.output_unit)
    figure = go.Figure(go.Scatter(
        x=g.values[:, i], y=changes, mode="markers", showlegend=False,
        marker={"color": direction_colours(changes, higher_is_better(g)), "size": 6,
                "opacity": 0.8}))
    _legend(figure)
    figure.add_hline(y=0, line_color=palette.GUIDE)
    figure.update_layout(title=f"How {feature} moves the {g.output_name}", xaxis_title=feature,
                         yaxis_title=change_title(g.output_unit, g.output_name), height=400,
                         margin={"l": 10, "r": 10, "t": 90, "b": 40})
    return figure


def deletion_plot(curves: DeletionCurves, label: str = "SHAP order",
                  output_name: str = "model score") -> go.Figure:
    """Mean deletion curve by attribution order vs random order, with their AUCs."""
    figure = go.Figure()
    for name, data, auc in ((label, curves.attribution, curves.auc_attribution),
                            ("random order", curves.random, curves.auc_random)):
        figure.add_trace(go.Scatter(x=curves.fractions, y=data.mean(axis=0), mode="lines",
                                    name=f"{name} (AUC {auc:.3f})"))
    figure.update_layout(title="Deletion curve: most-attributed pixels removed first",
                         xaxis_title="fraction of pixels removed",
                         yaxis_title=output_name, height=360)
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
