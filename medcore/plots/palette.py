"""One palette for the whole dashboard: colour says which way a patient's outlook moves.

The clinical-language rule of ../shared/DESIGN.md: one colour always means "towards the worse
outcome" (more risk, less survival, more likely disease), the other "towards the better",
whatever the quantity on the axis. A chart never uses red/blue for "output up/down": an
attribution that raises a survival probability is drawn in :data:`BETTER`, one that raises a
probability of disease in :data:`WORSE`.

Colours are from the Okabe-Ito set (distinguishable with the common colour-vision deficiencies).
"""
from __future__ import annotations

#: Towards the worse outcome: more risk, less survival, disease more likely.
WORSE = "#D55E00"
#: Towards the better outcome: less risk, more survival, disease less likely.
BETTER = "#0072B2"
#: Neither: totals, references, cohort curves, guide lines.
NEUTRAL = "#7F7F7F"
#: A light neutral for grid and guide lines.
GUIDE = "#BBBBBB"
#: Extra patients who do better because of a treatment (icon arrays): a lighter :data:`BETTER`.
BENEFIT = "#56B4E9"

#: The words a legend uses for the two directions.
WORSE_LABEL = "towards a worse outcome"
BETTER_LABEL = "towards a better outcome"


def direction_colour(change: float, *, higher_is_better: bool) -> str:
    """The colour of a change of ``change`` in a quantity where higher is better (a survival
    probability) or worse (a risk, a probability of disease); a zero change is :data:`NEUTRAL`."""
    if change == 0:
        return NEUTRAL
    return BETTER if (change > 0) == higher_is_better else WORSE


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` as its (red, green, blue), each 0..255."""
    value = hex_colour.lstrip("#")
    red, green, blue = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return red, green, blue


def rgba(hex_colour: str, alpha: float) -> str:
    """``"#RRGGBB"`` as a plotly ``rgba(...)`` string with opacity ``alpha`` in [0, 1]."""
    red, green, blue = rgb(hex_colour)
    return f"rgba({red}, {green}, {blue}, {alpha})"
