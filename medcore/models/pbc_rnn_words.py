"""What the Survival page (and the patient report) says of ``pbc_rnn``'s prediction, in words the
card's calibration supports. No Streamlit here."""
from __future__ import annotations

import pandas as pd

from medcore import registry
from medcore.datasets.pbc import DAYS_PER_YEAR
from medcore.errors import MedcoreError
from medcore.models.pbc_rnn import NAME
from medcore.survival import wording

#: The horizon of the headline (years after the visit).
HORIZON = 5.0


def headline(survival: float, k: int, years: float) -> str:
    """The headline after visit ``k`` (``years`` after the first visit in the data), in words
    the card's calibration deciles support (never a bare 0 of 100)."""
    try:
        deciles = registry.load_card(NAME).calibration_5y_deciles
    except MedcoreError:
        deciles = ()
    figure = wording.calibrated_figure(survival, deciles)
    when = f"{HORIZON:g} years after that visit"
    return (f"From visits 1 to {k} (the last {years:.1f} years after the first visit in the "
            "data): " + wording.survival_headline(
                figure, who="patients like this one", outcome=f"alive {when}",
                evaluation="the model's landmark cross-validation"))


def observed_outcome(history: pd.DataFrame) -> str:
    """What happened to a held-out patient (known outcome, never a model input)."""
    futime, status = float(history["futime"].iloc[0]), int(history["status"].iloc[0])
    what = {2: "died", 1: "had a liver transplant (censored)", 0: "was alive at last contact"}
    return (f"Observed outcome (not shown to the model): {what[status]} on day {futime:g} "
            f"(year {futime / DAYS_PER_YEAR:.1f}).")
