"""The dashboard's one palette: colour follows the patient's outlook, not the sign of a number."""
from __future__ import annotations

from medcore.plots import palette


def test_direction_follows_the_outcome_not_the_sign():
    # A rise in survival is better; a rise in a probability of disease is worse.
    assert palette.direction_colour(+0.1, higher_is_better=True) == palette.BETTER
    assert palette.direction_colour(-0.1, higher_is_better=True) == palette.WORSE
    assert palette.direction_colour(+0.1, higher_is_better=False) == palette.WORSE
    assert palette.direction_colour(-0.1, higher_is_better=False) == palette.BETTER
    assert palette.direction_colour(0.0, higher_is_better=True) == palette.NEUTRAL


def test_rgb():
    assert palette.rgb("#0072B2") == (0, 114, 178) == palette.rgb("0072b2")


def test_rgba():
    assert palette.rgba("#0072B2", 0.2) == "rgba(0, 114, 178, 0.2)"
