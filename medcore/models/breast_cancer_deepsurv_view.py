"""What the Survival page (and the patient report) shows of ``breast_cancer_deepsurv``: the
horizons, the sentences and the figures, built once here so that the page and the report say
the same thing. No Streamlit here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from medcore.cards import ModelCard
from medcore.models import breast_cancer_deepsurv as model
from medcore.models import breast_cancer_receptors as receptors
from medcore.plots import palette

#: Horizons shown (those within the card's ``max_years``); 5 and 10 as NHS PREDICT.
YEARS = (1.0, 3.0, 5.0, 10.0)
BAND_TEXT = ("The shaded band is the spread (lowest to highest) of the ensemble's networks, each "
             "trained on a bootstrap resample of the Rotterdam data: it shows how much the fit "
             "itself varies, not a full confidence interval.")
CAVEAT = ("This compares the model's predictions with hormone therapy switched on and off. It is "
          "an association learnt from observational (Rotterdam) data, not the effect a "
          "randomised trial would measure; treated and untreated women differed in other ways.")
Y_TITLE = "Alive without recurrence"


def followup_note(card: ModelCard) -> str:
    """What the 10-year figure rests on: the GBSG follow-up (from the card's evaluation) and the
    Rotterdam-internal cross-validated calibration at 10 years (the card's
    ``rotterdam_cv_calibration``, ``python -m medcore.models.deepsurv_internal_calibration``)."""
    from medcore.models.deepsurv_internal_calibration import KEY

    followup = (card.evaluation or {}).get("test_followup_years") or {}
    reach = (f"the external check on the GBSG trial reaches about {followup['max']:.0f} years "
             f"(its longest follow-up, {followup['max']:.1f} years)" if "max" in followup
             else "the external check on the GBSG trial does not reach 10 years")
    internal = card.quantitative_analyses.get(KEY) or {}
    if "max_abs_diff_10y" not in internal:
        return (f"The 10-year figure rests on the Rotterdam cohort alone: {reach}, and a "
                "cross-validated 10-year calibration within Rotterdam has not been done yet.")
    return (f"The 10-year figure rests on the Rotterdam cohort alone: {reach}. Within Rotterdam, "
            f"cross-validated ({internal['folds']} folds, {internal['n']} women), predicted and "
            f"observed 10-year survival differed by "
            f"{100 * internal['mean_abs_diff_10y']:.0f} percentage points on average across "
            f"tenths of the predictions (at most {100 * internal['max_abs_diff_10y']:.0f}); see "
            "the model card.")


def curve_caption(prediction: model.Prediction, card: ModelCard) -> str:
    """The caption under the patient's curve: the band, where the curve stops and why, and what
    the 10-year figure rests on."""
    share = card.parameters["max_years_min_share"]
    return (f"{BAND_TEXT} The curve stops at {prediction.times[-1]:g} years (at least "
            f"{share:.0%} of Rotterdam patients still followed). {followup_note(card)}")


def shown_years(prediction: model.Prediction) -> list[float]:
    """The horizons of :data:`YEARS` within the prediction's grid."""
    return [y for y in YEARS if y <= prediction.times[-1]]


def benefit_sentence(counts: model.TreatmentCounts, *, emphasis: str = "**") -> str:
    """The icon array's numbers in words (PREDICT's order: without, extra, recurrence);
    ``emphasis`` wraps the horizon (Markdown bold on the page, nothing in a report)."""
    when = f"{counts.years:g} years after surgery"
    text = (f"{emphasis}{when.capitalize()}{emphasis}: of 100 women like her, "
            f"{counts.alive_without} would be alive without recurrence without hormone "
            "therapy; ")
    if counts.fewer:
        text += (f"the model predicts {counts.fewer} fewer with it (it has learnt an association "
                 "in that direction, not an effect); ")
    else:
        text += f"{counts.extra} more would be alive without recurrence because of it; "
    return text + f"{counts.recurrence} would have a recurrence or die."


def patient_figure(prediction: model.Prediction) -> Any:
    """The patient's recurrence-free survival curve with the ensemble's band, horizons marked."""
    from medcore.plots.survival import survival_figure

    curves = {"This patient (model)": {"survival": prediction.survival[0],
                                       "lower": prediction.lower[0], "upper": prediction.upper[0],
                                       "band_name": "ensemble spread"}}
    return survival_figure(prediction.times, curves, marks=shown_years(prediction),
                           y_title=Y_TITLE)


@dataclass(frozen=True)
class HormoneTherapy:
    """With and without hormone therapy: the two curves, the icon arrays and the counts."""

    curves: Any
    icons: Any
    counts: list[model.TreatmentCounts]


def hormone_therapy(served: Any, rows: receptors.ReceptorRows) -> HormoneTherapy:
    """The curves with and without hormone therapy (colours as in the icon array) at the
    horizons from :data:`model.HORIZON_YEARS` on, and the icon arrays of 100 women."""
    from medcore.plots.survival import survival_figure, treatment_icon_arrays

    both = {v: receptors.average(p)
            for v, p in model.with_and_without(served, rows.rows, "hormon").items()}
    curves = {label: {"survival": both[v].survival[0], "lower": both[v].lower[0],
                      "upper": both[v].upper[0], "colour": colour}
              for v, label, colour in ((0, "Without hormone therapy", palette.BETTER),
                                       (1, "With hormone therapy", palette.BENEFIT))}
    years = tuple(y for y in YEARS if y >= model.HORIZON_YEARS and y <= both[0].times[-1])
    counts = model.treatment_counts(served, rows.rows, years)
    icons = treatment_icon_arrays([(f"{c.years:g} years after surgery", c.alive_without,
                                    c.extra) for c in counts])
    return HormoneTherapy(survival_figure(both[0].times, curves, marks=years, y_title=Y_TITLE),
                          icons, counts)
