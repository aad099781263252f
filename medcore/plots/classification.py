"""Plotly figures for a binary classifier's test-set statistics, all following one threshold.

In the spirit of explainerdashboard's classifier tab: ROC and precision-recall curves with the
operating point marked, a confusion matrix, a calibration (reliability) curve and the predicted
probabilities of both classes. Every builder takes ``(y_true, probability, threshold)`` so a
single slider can drive them all. No Streamlit here.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from medcore.metrics import calibration_bins, confusion_at, threshold_metrics

__all__ = ["roc_figure", "precision_recall_figure", "confusion_figure", "confusion_markdown",
           "calibration_figure",
           "probability_histogram"]

_POSITIVE = "#c0392b"
_NEGATIVE = "#2471a3"
_POINT = "#f39c12"
_LAYOUT = dict(height=360, margin=dict(l=50, r=20, t=50, b=45))


def _figure(data=None) -> go.Figure:
    """A figure on plotly's "plotly_white" template, set the way plotly sets its default
    template (``BaseFigure._initialize_layout_template``: the template's validation skipped).
    ``update_layout(template="plotly_white")`` deep-copies and validates the whole template,
    ~25 ms a figure, paid again on every threshold-slider move; the figure is the same."""
    import plotly.io as pio

    figure = go.Figure(data)
    figure.layout._validate = False
    try:
        figure.layout.template = pio.templates["plotly_white"]
    finally:
        figure.layout._validate = True
    return figure


def _arrays(y_true, probability) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(y_true).astype(int).ravel(), np.asarray(probability, dtype=float).ravel()


def roc_figure(y_true, probability, threshold: float, *,
               positive_label: str = "malignant") -> go.Figure:
    """ROC curve with its AUC and the operating point at ``threshold``.

    Parameters
    ----------
    y_true : array-like of 0/1, shape (n,)
    probability : array-like, shape (n,)
        Predicted probability of the positive class.
    threshold : float
        Probabilities ``>= threshold`` are called positive.
    """
    from sklearn import metrics as skm  # here: sklearn costs seconds at import

    y, p = _arrays(y_true, probability)
    fpr, tpr, _ = skm.roc_curve(y, p)
    auc = skm.roc_auc_score(y, p)
    at = threshold_metrics(y, p, threshold)
    figure = _figure()
    figure.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                       line=dict(dash="dot", color="grey"))
    figure.add_scatter(x=fpr, y=tpr, mode="lines", name=f"ROC (AUC {auc:.3f})",
                       line=dict(color=_NEGATIVE, width=2),
                       hovertemplate="1 - specificity %{x:.3f}<br>sensitivity %{y:.3f}")
    figure.add_scatter(x=[1 - at["specificity"]], y=[at["sensitivity"]], mode="markers",
                       name=f"threshold {threshold:.2f}",
                       marker=dict(size=12, color=_POINT, line=dict(width=1, color="black")))
    figure.update_layout(title=f"ROC curve (AUC {auc:.3f})", **_LAYOUT,
                         xaxis_title="1 - specificity (false-positive rate)",
                         yaxis_title=f"sensitivity (share of {positive_label} found)",
                         legend=dict(x=0.45, y=0.05))
    figure.update_xaxes(range=[-0.01, 1.01])
    figure.update_yaxes(range=[-0.01, 1.01])
    return figure


def precision_recall_figure(y_true, probability, threshold: float) -> go.Figure:
    """Precision-recall curve with its average precision and the operating point."""
    from sklearn import metrics as skm  # here: sklearn costs seconds at import

    y, p = _arrays(y_true, probability)
    precision, recall, _ = skm.precision_recall_curve(y, p)
    average_precision = skm.average_precision_score(y, p)
    at = threshold_metrics(y, p, threshold)
    figure = _figure()
    figure.add_scatter(x=[0, 1], y=[y.mean()] * 2, mode="lines", name="prevalence",
                       line=dict(dash="dot", color="grey"))
    figure.add_scatter(x=recall, y=precision, mode="lines", line=dict(color=_NEGATIVE, width=2),
                       name=f"PR (AP {average_precision:.3f})",
                       hovertemplate="recall %{x:.3f}<br>precision %{y:.3f}")
    figure.add_scatter(x=[at["sensitivity"]], y=[at["ppv"]], mode="markers",
                       name=f"threshold {threshold:.2f}",
                       marker=dict(size=12, color=_POINT, line=dict(width=1, color="black")))
    figure.update_layout(title=f"Precision-recall (AP {average_precision:.3f})", **_LAYOUT,
                         xaxis_title="recall (sensitivity)", yaxis_title="precision (PPV)",
                         legend=dict(x=0.02, y=0.05))
    figure.update_xaxes(range=[-0.01, 1.01])
    figure.update_yaxes(range=[-0.01, 1.01])
    return figure


def confusion_figure(y_true, probability, threshold: float, *,
                     labels: tuple[str, str] = ("benign", "malignant")) -> go.Figure:
    """2 x 2 confusion matrix (counts and row shares) at ``threshold``.

    ``labels`` are (negative, positive) class names.
    """
    y, p = _arrays(y_true, probability)
    c = confusion_at(y, p, threshold)
    counts = np.array([[c["tn"], c["fp"]], [c["fn"], c["tp"]]])
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    text = [[f"{name}<br>{counts[i, j]} ({shares[i, j]:.0%})" for j, name in enumerate(row)]
            for i, row in enumerate((("true negative", "false positive"),
                                     ("false negative", "true positive")))]
    figure = _figure(go.Heatmap(
        z=shares, x=[f"called {labels[0]}", f"called {labels[1]}"],
        y=[f"truly {labels[0]}", f"truly {labels[1]}"], text=text, texttemplate="%{text}",
        colorscale="Blues", zmin=0, zmax=1, showscale=False, hoverinfo="skip"))
    figure.update_layout(title=f"Confusion matrix at threshold {threshold:.2f} (n = {len(y)})",
                         **_LAYOUT)
    figure.update_yaxes(autorange="reversed")
    return figure


def confusion_markdown(y_true, probability, threshold: float, *,
                       labels: tuple[str, str] = ("benign", "malignant")) -> str:
    """The 2 x 2 confusion matrix at ``threshold`` as a Markdown table: each cell's name, count
    and share of its true class (the numbers of :func:`confusion_figure`, as text: a table is
    read at a glance, and redrawn by the browser at every threshold move for almost nothing).

    ``labels`` are (negative, positive) class names.
    """
    y, p = _arrays(y_true, probability)
    c = confusion_at(y, p, threshold)
    rows = ((f"truly {labels[0]}", ("true negative", c["tn"]), ("false positive", c["fp"])),
            (f"truly {labels[1]}", ("false negative", c["fn"]), ("true positive", c["tp"])))
    lines = [f"| n = {len(y)} | called {labels[0]} | called {labels[1]} |", "|---|---:|---:|"]
    for truth, *cells in rows:
        total = max(sum(count for _, count in cells), 1)
        lines.append(f"| **{truth}** | " + " | ".join(
            f"{name}: **{count}** ({count / total:.0%})" for name, count in cells) + " |")
    return "\n".join(lines)


def _wilson(successes: np.ndarray, totals: np.ndarray,
            z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (sensible even for 0 of 1 or 1 of 1)."""
    share = successes / totals
    centre = (share + z * z / (2 * totals)) / (1 + z * z / totals)
    spread = np.sqrt(share * (1 - share) / totals + z * z / (4 * totals ** 2))
    half = z * spread / (1 + z * z / totals)
    return centre - half, centre + half


def calibration_figure(y_true, probability, threshold: float | None = None, *,
                       num_bins: int = 10) -> go.Figure:
    """Reliability curve: observed share of positives against mean predicted probability per
    equal-width bin, with 95% Wilson intervals (marker size = bin count) and the threshold as a
    vertical line. Few cases fall between 0 and 1 on an accurate model: read the error bars."""
    return reliability_figure(*calibration_bins(y_true, probability, num_bins), threshold,
                              num_bins=num_bins)


def reliability_figure(predicted, positives, count, threshold: float | None = None, *,
                       num_bins: int = 10) -> go.Figure:
    """:func:`calibration_figure` from its bins (mean predicted, positives, count per bin), as a
    model card's ``evaluation.test.reliability`` keeps them."""
    predicted, positives, count = (np.asarray(v, dtype=float)
                                   for v in (predicted, positives, count))
    observed = positives / count
    low, high = _wilson(positives, count)
    figure = _figure()
    figure.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                       line=dict(dash="dot", color="grey"))
    figure.add_scatter(x=predicted, y=observed, mode="lines+markers", name="model (95% CI)",
                       line=dict(color=_NEGATIVE, width=2), customdata=count.astype(int),
                       error_y=dict(type="data", symmetric=False, array=high - observed,
                                    arrayminus=observed - low, thickness=1),
                       marker=dict(size=6 + 14 * np.sqrt(count / count.max()), color=_NEGATIVE),
                       hovertemplate="predicted %{x:.2f}<br>observed %{y:.2f}"
                                     "<br>%{customdata} cases")
    if threshold is not None:
        figure.add_vline(x=threshold, line=dict(color=_POINT, dash="dash"),
                         annotation_text=f"threshold {threshold:.2f}",
                         annotation_position="bottom right")
    figure.update_layout(title=f"Calibration ({num_bins} bins, observed vs predicted)", **_LAYOUT,
                         xaxis_title="mean predicted probability",
                         yaxis_title="observed share positive", legend=dict(x=0.55, y=0.12))
    figure.update_xaxes(range=[-0.02, 1.02])
    figure.update_yaxes(range=[-0.02, 1.05])
    return figure


def probability_histogram(y_true, probability, threshold: float, *,
                          labels: tuple[str, str] = ("benign", "malignant"),
                          num_bins: int = 20) -> go.Figure:
    """Predicted probabilities of both true classes, overlaid, with the threshold line."""
    y, p = _arrays(y_true, probability)
    figure = _figure()
    for value, name, colour in ((0, labels[0], _NEGATIVE), (1, labels[1], _POSITIVE)):
        figure.add_histogram(x=p[y == value], name=f"truly {name}", marker_color=colour,
                             opacity=0.65, xbins=dict(start=0, end=1, size=1 / num_bins))
    figure.add_vline(x=threshold, line=dict(color=_POINT, dash="dash"),
                     annotation_text=f"threshold {threshold:.2f}")
    figure.update_layout(title="Predicted probabilities by true class", barmode="overlay",
                         **_LAYOUT, xaxis_title=f"P({labels[1]})", yaxis_title="cases")
    return figure
