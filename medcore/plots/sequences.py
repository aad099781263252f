"""Plotly figures for visit sequences (PBC): biomarker trajectories, survival as of a visit,
and the 5-year survival after each visit. No Streamlit here."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from medcore.datasets.pbc import DAYS_PER_YEAR

#: Biomarkers drawn by :func:`biomarker_trajectories`: column, title, log axis.
MAIN_BIOMARKERS: tuple[tuple[str, str, bool], ...] = (
    ("bili", "Bilirubin (mg/dl, log scale)", True),
    ("albumin", "Albumin (g/dl)", False),
    ("protime", "Prothrombin time (s)", False),
    ("platelet", "Platelets (10³/µl)", False),
)
LOG_TICKS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)
CURRENT = "#c0392b"
AXIS_TITLE = "years since first visit"
EARLIER = "rgba(90, 90, 90, 0.25)"


def years_since_first_visit(days) -> np.ndarray:
    """Visit days as years since the patient's first visit in the data (an upload whose first
    visit is on day 750 starts at 0, as the model's own time channel does)."""
    days = np.asarray(days, dtype=float)
    return (days - days.min()) / DAYS_PER_YEAR


def biomarker_trajectories(visits: pd.DataFrame, *, as_of_visit: int | None = None
                           ) -> go.Figure:
    """Main laboratory values of one patient over time, 2 x 2 panels.

    Parameters
    ----------
    visits : DataFrame
        One patient's visits (``day`` and the ``MAIN_BIOMARKERS`` columns), any order.
    as_of_visit : int, optional
        Visits after this one (1-based) are drawn faded.
    """
    visits = visits.sort_values("day")
    years = years_since_first_visit(visits["day"])
    k = len(visits) if as_of_visit is None else as_of_visit
    fig = make_subplots(rows=2, cols=2, subplot_titles=[m[1] for m in MAIN_BIOMARKERS],
                        horizontal_spacing=0.12, vertical_spacing=0.18)
    for i, (column, title, log_axis) in enumerate(MAIN_BIOMARKERS):
        row, col = divmod(i, 2)
        values = (pd.to_numeric(visits[column], errors="coerce").to_numpy(dtype=float)
                  if column in visits.columns else np.full(len(visits), np.nan))
        fig.add_trace(go.Scatter(x=years[:k], y=values[:k], mode="lines+markers",
                                 line={"color": CURRENT}, name=title, showlegend=False,
                                 hovertemplate="year %{x:.1f}: %{y}<extra></extra>"),
                      row=row + 1, col=col + 1)
        if k < len(visits):
            fig.add_trace(go.Scatter(x=years[k - 1:], y=values[k - 1:], mode="lines+markers",
                                     line={"color": EARLIER, "dash": "dot"}, showlegend=False,
                                     name=f"{title}, later visits",
                                     hovertemplate="year %{x:.1f}: %{y}<extra></extra>"),
                          row=row + 1, col=col + 1)
        if log_axis:
            fig.update_yaxes(type="log", tickvals=LOG_TICKS, ticktext=[f"{t:g}" for t in LOG_TICKS],
                             row=row + 1, col=col + 1)
    fig.update_xaxes(title_text=AXIS_TITLE, row=2)
    fig.update_layout(height=500, margin={"t": 40, "b": 40, "l": 40, "r": 20})
    return fig


def survival_as_of_visit(times: np.ndarray, survival_by_visit: np.ndarray, days: np.ndarray,
                         as_of_visit: int) -> go.Figure:
    """Survival predicted after visit ``as_of_visit``, the earlier predictions faded behind.

    Curves are drawn on the patient's time axis (years since the first visit): the prediction
    made at visit ``j`` starts at that visit's day.

    Parameters
    ----------
    times : ndarray, shape (K + 1,)
        Years after a visit.
    survival_by_visit : ndarray, shape (n_visits, K + 1)
        Row ``j`` = prediction from visits ``1..j+1``.
    days : ndarray, shape (n_visits,)
        Day of each visit.
    as_of_visit : int
        1-based visit whose prediction is highlighted.
    """
    start = years_since_first_visit(days)
    fig = go.Figure()
    for j in range(as_of_visit - 1):
        fig.add_trace(go.Scatter(
            x=start[j] + times, y=survival_by_visit[j], mode="lines",
            line={"color": EARLIER, "width": 1.5}, name=f"after visit {j + 1}",
            showlegend=j == 0, legendgroup="earlier",
            hovertemplate=f"after visit {j + 1}: " + "%{y:.0%} at year %{x:.1f}<extra></extra>"))
    if as_of_visit > 1:
        fig.data[0].name = "after earlier visits"
    k = as_of_visit - 1
    fig.add_trace(go.Scatter(
        x=start[k] + times, y=survival_by_visit[k], mode="lines", line={"color": CURRENT,
                                                                        "width": 3},
        name=f"after visit {as_of_visit}",
        hovertemplate="%{y:.0%} alive at year %{x:.1f}<extra></extra>"))
    fig.add_vline(x=start[k], line={"dash": "dot", "color": "grey"})
    fig.update_layout(xaxis_title=AXIS_TITLE, yaxis_title="probability alive",
                      yaxis={"range": [0, 1.02], "tickformat": ".0%"}, height=380,
                      margin={"t": 30, "b": 40, "l": 50, "r": 20},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def survival_after_each_visit(days: np.ndarray, survival: np.ndarray, *, horizon: float = 5.0,
                              as_of_visit: int | None = None) -> go.Figure:
    """Small chart: predicted ``horizon``-year survival after each visit.

    days : ndarray, shape (n_visits,); survival : ndarray, shape (n_visits,).
    as_of_visit : int, optional
        1-based visit marked as the current one; the visits after it are drawn faded.
    """
    years = years_since_first_visit(days)
    survival = np.asarray(survival, dtype=float)
    text = [f"visit {j + 1}" for j in range(len(years))]
    k = len(years) if as_of_visit is None else as_of_visit
    hover = "%{text} (year %{x:.1f}): %{y:.0%}<extra></extra>"
    fig = go.Figure(go.Scatter(
        x=years[:k], y=survival[:k], mode="lines+markers", line={"color": "#34495e"},
        text=text[:k], hovertemplate=hover, name="up to visit k"))
    if k < len(years):
        fig.add_trace(go.Scatter(
            x=years[k - 1:], y=survival[k - 1:], mode="lines+markers",
            line={"color": EARLIER, "dash": "dot"}, marker={"color": EARLIER},
            text=text[k - 1:], hovertemplate=hover, name="later visits"))
    if as_of_visit is not None:
        fig.add_trace(go.Scatter(x=[years[k - 1]], y=[survival[k - 1]],
                                 mode="markers", marker={"color": CURRENT, "size": 12},
                                 hoverinfo="skip", showlegend=False))
    fig.update_layout(xaxis_title=f"visit ({AXIS_TITLE})",
                      yaxis_title=f"{horizon:g}-year survival",
                      yaxis={"range": [0, 1.02], "tickformat": ".0%"}, height=240,
                      showlegend=False, margin={"t": 20, "b": 40, "l": 50, "r": 20})
    return fig
