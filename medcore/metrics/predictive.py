"""Predictive values at a prevalence: what a positive or negative call means in a setting.

Sensitivity and specificity belong to the test; the share of flagged patients who have the
disease (PPV) and of cleared patients who do not (NPV) depend on how common the disease is where
the test is used (Bayes' theorem). No scikit-learn function does this for a prevalence other
than the sample's own.
"""
from __future__ import annotations


def predictive_values(sensitivity: float, specificity: float,
                      prevalence: float) -> tuple[float, float]:
    """``(ppv, npv)`` of a test with ``sensitivity`` and ``specificity`` where a share
    ``prevalence`` of the patients has the disease.

    Raises
    ------
    ValueError
        An argument outside [0, 1], or a test that never calls anyone positive (or negative)
        where the predictive value is undefined.

    Examples
    --------
    >>> ppv, npv = predictive_values(0.9, 0.8, 0.2)
    >>> round(ppv, 3), round(npv, 3)
    (0.529, 0.97)
    """
    for name, value in (("sensitivity", sensitivity), ("specificity", specificity),
                        ("prevalence", prevalence)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name}={value!r}; expected a proportion in [0, 1].")
    true_positive = sensitivity * prevalence
    false_positive = (1.0 - specificity) * (1.0 - prevalence)
    true_negative = specificity * (1.0 - prevalence)
    false_negative = (1.0 - sensitivity) * prevalence
    if true_positive + false_positive == 0 or true_negative + false_negative == 0:
        raise ValueError(f"sensitivity={sensitivity}, specificity={specificity} at prevalence "
                         f"{prevalence}: no one is called positive (or negative), so the "
                         "predictive value is undefined; expected a test that calls some "
                         "patients positive and some negative.")
    return (true_positive / (true_positive + false_positive),
            true_negative / (true_negative + false_negative))
