"""Classification metrics: thin wrappers over scikit-learn, plus calibration and bootstrap CIs.

Survival metrics live in :mod:`medcore.survival.metrics` (lifelines / scikit-survival).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from medcore.errors import DataValidationError


def _check_binary(y_true: np.ndarray, probability: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).ravel()
    probability = np.asarray(probability, dtype=float).ravel()
    if y_true.shape != probability.shape:
        raise DataValidationError(
            f"y_true has {y_true.size} values but probability has {probability.size}; "
            "pass one probability per label."
        )
    if not np.isin(y_true, (0, 1)).all():
        raise DataValidationError("event indicator must be binary (0 or 1)")
    return y_true.astype(int), probability


def confusion_at(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, int]:
    """True/false positives/negatives when ``probability >= threshold`` is called positive."""
    y_true, probability = _check_binary(y_true, probability)
    predicted = probability >= threshold
    return {
        "tp": int(np.sum(predicted & (y_true == 1))),
        "fp": int(np.sum(predicted & (y_true == 0))),
        "tn": int(np.sum(~predicted & (y_true == 0))),
        "fn": int(np.sum(~predicted & (y_true == 1))),
    }


def _ratio(numerator: int, denominator: int) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def threshold_metrics(y_true: np.ndarray, probability: np.ndarray,
                      threshold: float) -> dict[str, float]:
    """Accuracy, sensitivity, specificity, PPV and NPV at one threshold."""
    c = confusion_at(y_true, probability, threshold)
    total = c["tp"] + c["fp"] + c["tn"] + c["fn"]
    return {
        "accuracy": _ratio(c["tp"] + c["tn"], total),
        "sensitivity": _ratio(c["tp"], c["tp"] + c["fn"]),
        "specificity": _ratio(c["tn"], c["tn"] + c["fp"]),
        "ppv": _ratio(c["tp"], c["tp"] + c["fp"]),
        "npv": _ratio(c["tn"], c["tn"] + c["fn"]),
    }


def calibration_bins(y_true: np.ndarray, probability: np.ndarray,
                     num_bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-empty equal-width probability bins: ``(mean predicted, positives, count)`` per bin,
    float arrays in bin order (the bins of :func:`expected_calibration_error` and the
    reliability curve)."""
    y_true, probability = _check_binary(y_true, probability)
    edges = np.linspace(0.0, 1.0, num_bins + 1)
    bins = np.clip(np.digitize(probability, edges[1:-1], right=True), 0, num_bins - 1)
    rows = np.array([(probability[bins == b].mean(), y_true[bins == b].sum(), (bins == b).sum())
                     for b in range(num_bins) if (bins == b).any()], dtype=float).reshape(-1, 3)
    return rows[:, 0], rows[:, 1], rows[:, 2]


def expected_calibration_error(y_true: np.ndarray, probability: np.ndarray,
                               num_bins: int = 10) -> float:
    """ECE with ``num_bins`` equal-width bins: sum over bins of |observed - mean predicted|,
    weighted by the bin's share of samples."""
    predicted, positives, count = calibration_bins(y_true, probability, num_bins)
    total = count.sum()
    return float(sum(c / total * abs(k / c - m) for m, k, c in zip(predicted, positives, count)))


def classification_report(y_true: np.ndarray, probability: np.ndarray,
                          threshold: float) -> dict[str, float]:
    """AUC, average precision, Brier score, ECE and the threshold metrics, as one dict."""
    from sklearn import metrics as skm  # here: sklearn costs seconds at import

    y_true, probability = _check_binary(y_true, probability)
    report = {
        "auc": float(skm.roc_auc_score(y_true, probability)),
        "average_precision": float(skm.average_precision_score(y_true, probability)),
        "brier": float(skm.brier_score_loss(y_true, probability)),
        "ece": expected_calibration_error(y_true, probability),
    }
    report.update(threshold_metrics(y_true, probability, threshold))
    report["threshold"] = float(threshold)
    return report


def report_with_ci(y_true: np.ndarray, probability: np.ndarray, threshold: float, *,
                   names: tuple[str, ...] = ("auc", "brier", "ece", "accuracy", "sensitivity",
                                             "specificity"),
                   num_resamples: int = 1000, seed: int = 0) -> dict:
    """:func:`classification_report` plus ``"ci95"``: ``{name: [low, high]}``, the stratified
    percentile bootstrap interval (:func:`bootstrap_ci`) of each metric in ``names`` (``auc``,
    ``brier``, ``ece`` or a key of :func:`threshold_metrics` at ``threshold``)."""
    from sklearn import metrics as skm  # here: sklearn costs seconds at import

    whole = {"auc": skm.roc_auc_score, "brier": skm.brier_score_loss,
             "ece": expected_calibration_error}

    def scorer(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
        return whole.get(name) or (lambda y, p: threshold_metrics(y, p, threshold)[name])

    report = classification_report(y_true, probability, threshold)
    report["ci95"] = {name: list(bootstrap_ci(scorer(name), y_true, probability,
                                              num_resamples=num_resamples, seed=seed))
                      for name in names}
    return report


def bootstrap_ci(metric: Callable[[np.ndarray, np.ndarray], float], y_true: np.ndarray,
                 probability: np.ndarray, *, num_resamples: int = 1000, level: float = 0.95,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``metric(y_true, probability)``.

    Resamples with replacement, stratified by class so every resample has both classes.
    """
    y_true, probability = _check_binary(y_true, probability)
    rng = np.random.default_rng(seed)
    positives = np.flatnonzero(y_true == 1)
    negatives = np.flatnonzero(y_true == 0)
    values = np.empty(num_resamples)
    for i in range(num_resamples):
        index = np.concatenate([rng.choice(positives, positives.size),
                                rng.choice(negatives, negatives.size)])
        values[i] = metric(y_true[index], probability[index])
    alpha = (1.0 - level) / 2.0
    low, high = np.nanquantile(values, [alpha, 1.0 - alpha])
    return float(low), float(high)


def youden_threshold(y_true: np.ndarray, probability: np.ndarray) -> float:
    """Threshold maximising sensitivity + specificity - 1 (Youden's J) on the ROC curve."""
    from sklearn import metrics as skm  # here: sklearn costs seconds at import

    y_true, probability = _check_binary(y_true, probability)
    fpr, tpr, thresholds = skm.roc_curve(y_true, probability)
    best = int(np.argmax(tpr - fpr))
    return float(min(thresholds[best], 1.0))
