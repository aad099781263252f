"""What ``pneumonia_cnn``'s output means, in sentences a clinician reads.

Every figure comes from the prediction or from the model card (its last ``evaluate``): the
probability with the ensemble's range on the same scale, the operating point on the test set,
predictive values at a prevalence the clinician sets, and the test-set calibration. No
Streamlit here.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from medcore.metrics.predictive import predictive_values


def percent(value: float) -> str:
    """A probability as a whole percentage; ``"<1%"`` and ``">99%"`` at the ends (never
    "0%" or "100%", which a network's output never means)."""
    return ">99%" if value > 0.995 else "<1%" if value < 0.005 else f"{value:.0%}"


def probability_with_range(probability: float, members: np.ndarray) -> str:
    """``"97% (networks range 64% to >99%)"``: the calibrated ensemble probability, then the
    lowest and highest calibrated probability of its member networks (one scale);
    ``"(every network >99%)"`` when they round alike."""
    span = member_span(members)
    if " to " not in span:
        return f"{percent(probability)} (every network {span})"
    return f"{percent(probability)} (networks range {span})"


def member_span(members: np.ndarray) -> str:
    """``"64% to >99%"``: the lowest and highest member probability; one figure when they
    round alike."""
    members = np.asarray(members, dtype=float).ravel()
    low, high = percent(members.min()), percent(members.max())
    return low if low == high else f"{low} to {high}"


def test_prevalence(card: Any) -> float | None:
    """The share of pneumonia in the card's test split (``evaluation_data.details.split``)."""
    split = card.evaluation_data.details.get("split") or {}
    n, positives = split.get("n"), split.get("pneumonia")
    return positives / n if n and positives is not None else None


def test_operating_point(card: Any) -> tuple[float, float] | None:
    """``(sensitivity, specificity)`` at the card's threshold on the test split, or ``None``."""
    test = (card.evaluation or {}).get("test") or {}
    if "sensitivity" not in test or "specificity" not in test:
        return None
    return float(test["sensitivity"]), float(test["specificity"])


def prevalence_sentences(sensitivity: float, specificity: float, prevalence: float) -> str:
    """"Of 100 children flagged in a setting where 20% have pneumonia, about N have it; of 100
    not flagged, about M are free of it." (Bayes' theorem on the test-set operating point.)"""
    ppv, npv = predictive_values(sensitivity, specificity, prevalence)
    return (f"Of 100 children flagged in a setting where {prevalence:.0%} have pneumonia, about "
            f"{round(100 * ppv)} have it (positive predictive value); of 100 not flagged, "
            f"about {round(100 * npv)} are free of it (negative predictive value).")


def calibration_sentence(card: Any) -> str:
    """The test-set calibration said plainly: expected calibration error on test against the
    validation split it was fitted on ("" when the card has no test ECE)."""
    test = (card.evaluation or {}).get("test") or {}
    if "ece" not in test:
        return ""
    validation = (card.quantitative_analyses.get("validation") or {}).get("ece")
    interval = (test.get("ci95") or {}).get("ece")
    shown = f"{100 * test['ece']:.0f} percentage points"
    if interval:
        shown += f" (95% interval {100 * interval[0]:.0f} to {100 * interval[1]:.0f})"
    sentence = (f"Calibration: on the {card.evaluation.get('n_test', '')} test images a stated "
                f"probability is on average {shown} away from how often pneumonia was really "
                "present among images given that probability (expected calibration error)")
    if validation is not None:
        sentence += (f", against {100 * validation:.1f} points on the validation images the "
                     "calibration was fitted on: the percentages do not carry over exactly to "
                     "new images, so read them as a ranking of how likely pneumonia is, not as "
                     "an exact frequency.")
    else:
        sentence += "."
    return sentence


def call_sentence(positive: bool) -> str:
    """The verdict at the operating threshold (Markdown bold on the call)."""
    return ("**Pneumonia suspected**: the probability is at or above the threshold."
            if positive else "**No pneumonia found**: the probability is below the threshold.")


def raw_output_sentence(raw: str) -> str:
    """Why the raw output of an image the model cannot judge means nothing (``raw``: the
    probability with its range, :func:`probability_with_range`)."""
    return ("The network computes a number for any grid of pixels, whatever it shows. "
            f"For this image it is {raw}, which says nothing about pneumonia: the image "
            "is outside what the model was made for.")


def map_caption() -> str:
    """What the map over the film shows, and why this map."""
    from medcore.plots import palette

    return (f"Map: gradient x difference from the average training radiograph, drawn "
            f"over the square the model read. {palette.WORSE_LABEL.capitalize()} "
            f"(orange): these pixels raised the probability of pneumonia; "
            f"{palette.BETTER_LABEL} (blue): they lowered it. Chosen because removing "
            "pixels in its order lowers the score faster than Grad-CAM's or SHAP's "
            "order on test images (deletion curves, `python -m medcore bench --only "
            "explain`); it shows what the network used, not where the disease is.")


def ensemble_sentence(probability: float, members: np.ndarray) -> str:
    """"Probability of pneumonia 97% (networks range ...): the 4 networks of the ensemble give
    ..."."""
    return (f"Probability of pneumonia {probability_with_range(probability, members)}: "
            f"the {members.size} networks of the ensemble give "
            f"{', '.join(percent(m) for m in members)}.")


def chosen_prevalence(percent_set: float | None) -> float | None:
    """The prevalence slider's value (percent) as a share; None when it has not been set (the
    test set's prevalence applies)."""
    return None if percent_set is None else float(percent_set) / 100
