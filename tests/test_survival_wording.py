"""Predicted survival in words the calibration supports (never a bare 0 of 100)."""
from __future__ import annotations

from medcore.cards import CalibrationGroup
from medcore.survival.wording import (calibrated_figure, decile_of, per_100,
                                      survival_headline)

DECILES = tuple(CalibrationGroup(p, o, 40) for p, o in (
    (0.03, 0.17), (0.22, 0.27), (0.44, 0.50), (0.67, 0.63), (0.79, 0.77), (0.86, 0.83),
    (0.90, 0.87), (0.92, 0.96), (0.94, 0.97), (0.96, 0.94)))
WORDS = dict(who="patients like this one", outcome="alive 5 years after that visit",
             evaluation="the model's landmark cross-validation")


def test_counts_below_5_and_above_95_are_never_bare():
    assert per_100(0.001) == "fewer than 5 of 100"
    assert per_100(0.999) == "more than 95 of 100"
    assert per_100(0.444) == "about 44 of 100"


def test_a_very_low_prediction_leads_with_what_was_observed():
    figure = calibrated_figure(0.002, DECILES)
    assert figure.decile == 1 and figure.observed_leads
    text = survival_headline(figure, **WORDS)
    assert "**17 of 100**" in text and "fewer than 5 of 100" in text
    assert " 0 of 100" not in text


def test_a_calibrated_decile_gives_the_prediction_then_the_observed():
    figure = calibrated_figure(0.45, DECILES)
    assert decile_of(0.45, DECILES) == 3 and not figure.observed_leads
    text = survival_headline(figure, **WORDS)
    assert text.startswith("**About 45 of 100** patients like this one")
    assert "50 of 100 patients given predictions like this one (decile 3 of 10)" in text


def test_fewer_than_5_stands_where_the_decile_observed_fewer_than_5():
    deciles = (CalibrationGroup(0.02, 0.03, 40),) + DECILES[1:]
    text = survival_headline(calibrated_figure(0.01, deciles), **WORDS)
    assert text.startswith("**Fewer than 5 of 100**") and "3 of 100" in text


def test_without_deciles_the_figure_stands_alone():
    text = survival_headline(calibrated_figure(0.3, ()), **WORDS)
    assert text == "**About 30 of 100** patients like this one are predicted to be alive 5 years after that visit."
