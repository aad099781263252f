"""Plotly figures for survival: curves with bands, Kaplan-Meier curves, icon arrays, calibration.

Pure functions from arrays to ``plotly.graph_objects.Figure``; no Streamlit, no models. Times are
in years on every x-axis.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from medcore.plots import palette

#: Colour-blind-safe palette (Okabe-Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
GREY = "#7f7f7f"


def add_survival_curve(figure: go.Figure, times, survival, *, lower=None, upper=None,
                       name: str, colour: str = PALETTE[0], band_name: str | None = None,
                       dash: str | None = None, step: bool = False) -> go.Figure:
    """Add one survival curve (and its band when ``lower``/``upper`` are given) to ``figure``.

    Parameters
    ----------
    times, survival : array-like, shape (t,)
    lower, upper : array-like, shape (t,), optional
    name : legend name of the curve; ``band_name`` that of the band (default "NAME: band").
    step : draw as a step function (Kaplan-Meier) instead of a line.
    """
    shape = "hv" if step else "linear"
    times = np.asarray(times, dtype=float)
    if lower is not None and upper is not None:
        figure.add_trace(go.Scatter(x=times, y=np.asarray(upper, float), mode="lines",
                                    line={"width": 0, "shape": shape}, hoverinfo="skip",
                                    showlegend=False, legendgroup=name))
        figure.add_trace(go.Scatter(x=times, y=np.asarray(lower, float), mode="lines",
                                    line={"width": 0, "shape": shape}, fill="tonexty",
                                    fillcolor=palette.rgba(colour, 0.2), hoverinfo="skip",
                                    name=band_name or f"{name}: band", legendgroup=name))
    figure.add_trace(go.Scatter(
        x=times, y=np.asarray(survival, float), mode="lines", name=name, legendgroup=name,
        line={"color": colour, "width": 2.5, "dash": dash, "shape": shape},
        hovertemplate="%{x:.1f} years: %{y:.0%}<extra>" + name + "</extra>"))
    return figure


def survival_figure(times, curves: Mapping[str, Mapping[str, Sequence[float]]], *,
                    kaplan_meier: Mapping[str, Sequence[float]] | None = None,
                    kaplan_meier_name: str = "Cohort (Kaplan-Meier)",
                    title: str | None = None, marks: Sequence[float] = (),
                    y_title: str = "Survival probability") -> go.Figure:
    """Model survival curves with bands, optionally beside a cohort's Kaplan-Meier curve.

    Parameters
    ----------
    times : array-like, shape (t,)
        Years, shared by every curve in ``curves``.
    curves : mapping name -> {"survival", optional "lower", "upper"}, each shape (t,), and
        optional "colour" and "band_name"
    kaplan_meier : dict from :func:`medcore.survival.metrics.kaplan_meier`, optional
        Drawn only up to its own times (never beyond the cohort's follow-up).
    marks : years to mark with a labelled vertical dotted line (e.g. 1, 3, 5).
    """
    figure = go.Figure()
    for index, (name, curve) in enumerate(curves.items()):
        add_survival_curve(figure, times, curve["survival"], lower=curve.get("lower"),
                           upper=curve.get("upper"), name=name,
                           colour=curve.get("colour", PALETTE[index % len(PALETTE)]),
                           band_name=curve.get("band_name"))
    if kaplan_meier is not None:
        add_survival_curve(figure, kaplan_meier["times"], kaplan_meier["survival"],
                           lower=kaplan_meier.get("lower"), upper=kaplan_meier.get("upper"),
                           name=kaplan_meier_name, colour=GREY, dash="dot", step=True,
                           band_name=f"{kaplan_meier_name}: 95% CI")
    for year in marks:                           # labelled guide lines
        figure.add_vline(x=year, line={"color": palette.GUIDE, "width": 1, "dash": "dot"},
                         annotation_text=f"{year:g} year{'s' if year != 1 else ''}",
                         annotation_position="top", annotation_font_color=palette.NEUTRAL)
    figure.update_layout(title=title, xaxis_title="Years since surgery", yaxis_title=y_title,
                         yaxis={"range": [0, 1.02], "tickformat": ".0%"},
                         legend={"orientation": "h", "y": -0.2}, margin={"t": 40, "b": 10},
                         hovermode="x unified", height=420)
    return figure


def icon_array(count: int, *, total: int = 100, columns: int = 10,
               label: str = "free of the event", other_label: str = "had the event",
               colour: str = palette.BETTER, other_colour: str = palette.WORSE,
               title: str | None = None) -> go.Figure:
    """An icon array: ``count`` of ``total`` people in one colour, the rest in another.

    Filled row by row from the top left, as in NHS PREDICT's charts.

    Raises
    ------
    ValueError
        ``count`` outside ``[0, total]``.
    """
    if not 0 <= count <= total:
        raise ValueError(f"count={count}; expected a whole number between 0 and {total}.")
    index = np.arange(total)
    x, y = index % columns, -(index // columns)
    figure = go.Figure()
    for mask, name, fill in ((index < count, f"{count} {label}", colour),
                             (index >= count, f"{total - count} {other_label}", other_colour)):
        figure.add_trace(go.Scatter(
            x=x[mask], y=y[mask], mode="markers", name=name, hoverinfo="name",
            marker={"symbol": "circle", "size": 18, "color": fill,
                    "line": {"color": "white", "width": 1}}))
    figure.update_layout(title=title, height=360, margin={"t": 40, "b": 10, "l": 10, "r": 10},
                         xaxis={"visible": False, "range": [-0.7, columns - 0.3]},
                         yaxis={"visible": False, "scaleanchor": "x"},
                         legend={"orientation": "h", "y": -0.05}, plot_bgcolor="white")
    return figure


#: The three groups of a treatment icon array, in drawing order, with their palette colours.
TREATMENT_GROUPS = (("alive without recurrence without hormone therapy", palette.BETTER),
                    ("additional women alive without recurrence because of hormone therapy",
                     palette.BENEFIT),
                    ("recurrence or death", palette.WORSE))


def treatment_icon_arrays(panels: Sequence[tuple[str, int, int]], *, total: int = 100,
                          columns: int = 10,
                          groups: Sequence[tuple[str, str]] = TREATMENT_GROUPS) -> go.Figure:
    """NHS PREDICT's icon array, one panel per horizon: ``alive`` people in the first colour,
    ``extra`` in the second (the treatment's benefit), the rest in the third.

    Parameters
    ----------
    panels : sequence of ``(title, alive, extra)``
        E.g. ``("5 years after surgery", 62, 4)``.
    groups : three ``(label, colour)`` pairs, in drawing order.

    Raises
    ------
    ValueError
        ``alive`` or ``extra`` negative, or ``alive + extra`` above ``total``.
    """
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=len(panels), subplot_titles=[p[0] for p in panels],
                           horizontal_spacing=0.06)
    index = np.arange(total)
    x, y = index % columns, -(index // columns)
    for number, (_, alive, extra) in enumerate(panels, start=1):
        if alive < 0 or extra < 0 or alive + extra > total:
            raise ValueError(f"alive={alive}, extra={extra}; expected whole numbers >= 0 with "
                             f"alive + extra <= {total}.")
        bounds = (0, alive, alive + extra, total)
        for (label, colour), start, stop in zip(groups, bounds[:-1], bounds[1:]):
            mask = (index >= start) & (index < stop)
            figure.add_trace(go.Scatter(
                x=x[mask], y=y[mask], mode="markers", name=label, legendgroup=label,
                showlegend=number == 1, hovertemplate=f"{stop - start} of {total}: {label}"
                                                      "<extra></extra>",
                marker={"symbol": "circle", "size": 15, "color": colour,
                        "line": {"color": "white", "width": 1}}), row=1, col=number)
        figure.update_xaxes(visible=False, range=[-0.7, columns - 0.3], row=1, col=number)
        figure.update_yaxes(visible=False, scaleanchor=f"x{number if number > 1 else ''}",
                            row=1, col=number)
    figure.update_layout(height=380, margin={"t": 40, "b": 10, "l": 10, "r": 10},
                         legend={"orientation": "h", "y": -0.05}, plot_bgcolor="white")
    return figure


def calibration_figure(groups: Sequence[Mapping[str, float]], *, horizon: float) -> go.Figure:
    """Predicted vs observed (Kaplan-Meier, 95% CI) survival at ``horizon`` by risk group.

    ``groups``: the ``"groups"`` list of :func:`medcore.survival.metrics.calibration_at`.
    """
    predicted = [g["predicted"] for g in groups]
    observed = [g["observed"] for g in groups]
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect",
                                line={"color": GREY, "dash": "dot"}))
    figure.add_trace(go.Scatter(
        x=predicted, y=observed, mode="markers", name="risk groups",
        marker={"size": 10, "color": PALETTE[0]},
        error_y={"type": "data", "symmetric": False,
                 "array": [g["observed_upper"] - g["observed"] for g in groups],
                 "arrayminus": [g["observed"] - g["observed_lower"] for g in groups]}))
    figure.update_layout(xaxis_title=f"Predicted survival at {horizon:g} years",
                         yaxis_title="Observed (Kaplan-Meier)", height=360,
                         xaxis={"range": [0, 1], "tickformat": ".0%"},
                         yaxis={"range": [0, 1], "tickformat": ".0%"}, margin={"t": 20})
    return figure
