"""Survival analysis for the survival models: data checks, Breslow baseline, Cox loss, metrics,
the landmark protocol.

* :mod:`medcore.survival.data`: ``check_survival_data``, ``survival_targets``.
* :mod:`medcore.survival.breslow`: ``breslow_baseline``, ``BreslowBaseline``, ``survival_curves``.
* :mod:`medcore.survival.cox`: the Cox partial-likelihood loss and the ``Log1pColumns`` layer
  (the only module here that imports Keras; import it yourself, it is not re-exported).
* :mod:`medcore.survival.metrics`: Harrell's and Uno's C, Brier scores, calibration,
  Kaplan-Meier (thin over lifelines and scikit-survival).
* :mod:`medcore.survival.landmark`: landmark data sets, Cox baselines and cross-validation for
  dynamic survival from visit sequences.

Importing ``medcore.survival`` imports NumPy only (no Keras, lifelines or scikit-survival).
"""
from __future__ import annotations

from medcore.survival.breslow import BreslowBaseline, breslow_baseline, survival_curves
from medcore.survival.data import check_survival_data, survival_targets

__all__ = ["BreslowBaseline", "breslow_baseline", "check_survival_data", "survival_curves",
           "survival_targets"]
