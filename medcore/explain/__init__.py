"""Explanations: SHAP for all three network kinds, Grad-CAM for images, plain-language summaries.

One module per concern: ``core`` (the :class:`Explanation` bundle), ``tabular``
(DeepExplainer / GradientExplainer on feed-forward networks), ``image`` (expected gradients +
Grad-CAM), ``sequence`` (expected gradients over visits x features), ``words``
(:func:`describe_in_words`), ``faithfulness`` (deletion curves), ``gradcam`` (Grad-CAM itself),
``heads`` (output layers put on top of a model for explanation), ``models`` (explainers
for the shipped models). TensorFlow is imported only by the functions that
need it; importing this package does not import it.
"""
from __future__ import annotations

from medcore.explain.core import (Explanation, GlobalExplanation, additivity_ok, input_key)
from medcore.explain.faithfulness import (DeletionCurves, deletion_curve, deletion_curves,
                                          image_faithfulness)
from medcore.explain.image import ImageExplainer, region_shares
from medcore.explain.sequence import SequenceExplainer, select_output, visit_mask
from medcore.explain.tabular import (TabularExplainer, logit_model, survival_at_horizon_model)
from medcore.explain.words import describe_feature, describe_in_words, describe_value

__all__ = [
    "DeletionCurves", "Explanation", "GlobalExplanation", "ImageExplainer", "SequenceExplainer",
    "TabularExplainer", "additivity_ok", "deletion_curve", "deletion_curves", "describe_feature",
    "describe_in_words", "describe_value", "image_faithfulness", "input_key", "logit_model",
    "region_shares", "select_output", "survival_at_horizon_model", "visit_mask",
]
