"""Predicted survival in words that the model's own calibration supports.

NHS PREDICT's way ("about 72 of 100 women like her ..."), with two rules from the clinical
language rules of ../shared/DESIGN.md:

* never a bare "0 of 100" or "100 of 100": below 5 the words are "fewer than 5 of 100", above 95
  "more than 95 of 100";
* a figure is said next to what was observed among the patients the model gave similar
  predictions in its evaluation (the card's ``calibration_5y_deciles``: Kaplan-Meier survival in
  the decile of predicted survival the prediction falls in). Where that decile's observed survival
  differs from its mean prediction by more than :data:`TOLERANCE`, or where the model says
  "fewer than 5" but more than 5 in 100 were observed alive, the observed figure leads.

No Streamlit, no TensorFlow: plain functions of a probability and the card's deciles.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medcore.cards import CalibrationGroup

#: Below this many of 100 the words are "fewer than ..."; above 100 minus it, "more than ...".
FLOOR = 5
#: A decile whose observed survival is further than this from its mean prediction is said first.
TOLERANCE = 0.10


def per_100(probability: float) -> str:
    """``"about 62 of 100"``, ``"fewer than 5 of 100"`` or ``"more than 95 of 100"``."""
    count = int(round(100 * float(probability)))
    if count < FLOOR:
        return f"fewer than {FLOOR} of 100"
    if count > 100 - FLOOR:
        return f"more than {100 - FLOOR} of 100"
    return f"about {count} of 100"


def observed_per_100(probability: float) -> str:
    """An observed share as a count of 100 (``"24 of 100"``; ``"fewer than 1 of 100"`` at 0)."""
    count = int(round(100 * float(probability)))
    return "fewer than 1 of 100" if count == 0 else f"{count} of 100"


@dataclass(frozen=True)
class CalibratedFigure:
    """A predicted survival and what was observed among similar predictions.

    predicted : the model's probability; phrase : :func:`per_100` of it;
    decile : 1-based decile of the card's calibration the prediction falls in (``None`` when the
    card has no deciles); decile_predicted, observed : that decile's mean prediction and
    Kaplan-Meier observed survival; observed_leads : whether the words should lead with the
    observed figure (see the module docstring).
    """

    predicted: float
    phrase: str
    decile: int | None = None
    decile_predicted: float | None = None
    observed: float | None = None

    @property
    def observed_leads(self) -> bool:
        if self.observed is None or self.decile_predicted is None:
            return False
        below_floor = round(100 * self.predicted) < FLOOR
        return (abs(self.observed - self.decile_predicted) > TOLERANCE
                or (below_floor and round(100 * self.observed) >= FLOOR))


def decile_of(probability: float, deciles: Sequence[CalibrationGroup]) -> int:
    """1-based decile whose mean prediction is nearest ``probability`` (deciles sorted by
    predicted survival, as the card stores them)."""
    distances = [abs(float(probability) - d.predicted) for d in deciles]
    return distances.index(min(distances)) + 1


def calibrated_figure(probability: float,
                      deciles: Sequence[CalibrationGroup]) -> CalibratedFigure:
    """The figure and its decile's observed survival (no decile when ``deciles`` is empty)."""
    if not deciles:
        return CalibratedFigure(float(probability), per_100(probability))
    number = decile_of(probability, deciles)
    group = deciles[number - 1]
    return CalibratedFigure(float(probability), per_100(probability), number, group.predicted,
                            group.observed)


def survival_headline(figure: CalibratedFigure, *, who: str, outcome: str,
                      evaluation: str) -> str:
    """One or two Markdown sentences.

    Parameters
    ----------
    figure : CalibratedFigure
    who : str
        ``"patients like this one"``.
    outcome : str
        ``"alive 5 years after that visit"``.
    evaluation : str
        Where the observed figure comes from: ``"the model's cross-validation"``.
    """
    if figure.observed is None:
        return f"**{figure.phrase.capitalize()}** {who} are predicted to be {outcome}."
    observed = observed_per_100(figure.observed)
    similar = (f"In {evaluation}, {{}} patients given predictions like this one (decile "
               f"{figure.decile} of 10) were")
    if figure.observed_leads:
        return (similar.format(f"**{observed}**") + f" {outcome}. The model's own figure, "
                f"{figure.phrase}, is further from what was observed than its calibration "
                "allows elsewhere: read the observed figure.")
    return (f"**{figure.phrase.capitalize()}** {who} are predicted to be {outcome}. "
            + similar.format(observed) + ".")
