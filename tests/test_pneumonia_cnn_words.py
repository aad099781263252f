"""What the pneumonia model's output means, in sentences: one scale for the probability and its
range, predictive values at a prevalence, the test-set calibration."""
from __future__ import annotations

import numpy as np
import pytest

from medcore import registry
from medcore.metrics.predictive import predictive_values
from medcore.models import pneumonia_cnn_words as words


def test_the_range_is_the_members_calibrated_probabilities_on_the_same_scale():
    text = words.probability_with_range(0.97, np.array([0.97, 0.97, 0.64, 0.999]))
    assert text == "97% (networks range 64% to >99%)"
    assert words.probability_with_range(0.002, np.array([0.001, 0.02])) == \
        "<1% (networks range <1% to 2%)"
    assert words.probability_with_range(0.998, np.array([0.996, 0.999])) == \
        ">99% (every network >99%)"
    assert "±" not in text


def test_predictive_values_follow_bayes():
    ppv, npv = predictive_values(0.9, 0.8, 0.2)
    assert ppv == pytest.approx(0.18 / (0.18 + 0.16))
    assert npv == pytest.approx(0.64 / (0.64 + 0.02))
    # At the sample's own prevalence they are the sample's PPV and NPV.
    tp, fp, tn, fn = 387, 40, 194, 3
    ppv, npv = predictive_values(tp / (tp + fn), tn / (tn + fp), (tp + fn) / 624)
    assert ppv == pytest.approx(tp / (tp + fp)) and npv == pytest.approx(tn / (tn + fn))
    with pytest.raises(ValueError, match="prevalence=1.5; expected a proportion in"):
        predictive_values(0.9, 0.8, 1.5)
    with pytest.raises(ValueError, match="predictive value is undefined"):
        predictive_values(0.0, 1.0, 0.3)       # never calls anyone positive


def test_the_prevalence_sentence():
    assert words.prevalence_sentences(0.9, 0.8, 0.2) == (
        "Of 100 children flagged in a setting where 20% have pneumonia, about 53 have it "
        "(positive predictive value); of 100 not flagged, about 97 are free of it (negative "
        "predictive value).")


@pytest.fixture
def card():
    if not registry.is_available("pneumonia_cnn"):
        pytest.skip("the pneumonia model is not shipped")
    return registry.load_card("pneumonia_cnn")


def test_the_cards_figures_make_the_sentences(card):
    split = card.evaluation_data.details["split"]
    assert words.test_prevalence(card) == split["pneumonia"] / split["n"]
    test = card.evaluation["test"]
    assert words.test_operating_point(card) == (test["sensitivity"], test["specificity"])
    sentence = words.calibration_sentence(card)
    assert f"on the {card.evaluation['n_test']} test images" in sentence
    assert f"on average {100 * test['ece']:.0f} percentage points (95% interval" in sentence
    validation = card.quantitative_analyses["validation"]["ece"]
    assert f"against {100 * validation:.1f} points on the validation images" in sentence
