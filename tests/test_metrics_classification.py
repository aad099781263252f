"""Tests for medcore.metrics (classification metrics, thin over scikit-learn)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from medcore import metrics
from medcore.errors import DataValidationError


def _scores(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(0.3 + 0.4 * (y - 0.3) + rng.normal(scale=0.2, size=n), 0, 1)
    return y, p


def test_threshold_metrics_agree_with_sklearn_confusion_matrix():
    y, p = _scores()
    tn, fp, fn, tp = skm.confusion_matrix(y, p >= 0.4).ravel()
    assert metrics.confusion_at(y, p, 0.4) == {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    result = metrics.threshold_metrics(y, p, 0.4)
    assert result["sensitivity"] == pytest.approx(skm.recall_score(y, p >= 0.4))
    assert result["ppv"] == pytest.approx(skm.precision_score(y, p >= 0.4))
    assert result["accuracy"] == pytest.approx(skm.accuracy_score(y, p >= 0.4))


def test_report_uses_sklearn_scores_and_calibration_bins_add_up():
    y, p = _scores(seed=1)
    report = metrics.classification_report(y, p, 0.5)
    assert report["auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert report["brier"] == pytest.approx(skm.brier_score_loss(y, p))
    predicted, positives, count = metrics.calibration_bins(y, p)
    assert count.sum() == len(y) and positives.sum() == y.sum()
    assert report["ece"] == pytest.approx(
        float(np.sum(count / count.sum() * np.abs(positives / count - predicted))))


def test_bootstrap_interval_brackets_the_estimate_and_youden_maximises_j():
    y, p = _scores(seed=2)
    low, high = metrics.bootstrap_ci(skm.roc_auc_score, y, p, num_resamples=200)
    assert low < skm.roc_auc_score(y, p) < high
    fpr, tpr, _ = skm.roc_curve(y, p)
    best = metrics.threshold_metrics(y, p, metrics.youden_threshold(y, p))
    assert best["sensitivity"] + best["specificity"] - 1 == pytest.approx(np.max(tpr - fpr))


def test_labels_must_be_binary_and_match_the_probabilities():
    with pytest.raises(DataValidationError, match="must be binary"):
        metrics.classification_report([0, 2], [0.1, 0.9], 0.5)
    with pytest.raises(DataValidationError, match="y_true has 3 values but probability has 2"):
        metrics.confusion_at([0, 1, 1], [0.1, 0.9], 0.5)
