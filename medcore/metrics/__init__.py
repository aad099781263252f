"""Classification metrics (thin over scikit-learn): :mod:`medcore.metrics.classification`.

Survival metrics are in :mod:`medcore.survival.metrics` (lifelines / scikit-survival).
"""
from __future__ import annotations

from medcore.metrics.classification import (bootstrap_ci, calibration_bins, classification_report,
                                            confusion_at, expected_calibration_error,
                                            report_with_ci, threshold_metrics, youden_threshold)

__all__ = ["bootstrap_ci", "calibration_bins", "classification_report", "confusion_at",
           "expected_calibration_error", "report_with_ci", "threshold_metrics",
           "youden_threshold"]
