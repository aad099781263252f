"""Reports of the Survival page's models: recurrence-free survival after breast-cancer surgery
(``breast_cancer_deepsurv``) and PBC prognosis updated with every visit (``pbc_rnn``).

Numbers, sentences and figures come from the functions the page calls
(:mod:`medcore.models.breast_cancer_deepsurv_view`, :mod:`medcore.models.pbc_rnn_words`,
:mod:`medcore.plots.sequences`). No identifier enters: the records' model inputs only (the
patient's id column, ``patient_id`` / ``id``, is never read; warnings that quote it say "this
patient" instead).
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from medcore import registry
from medcore.report.diagnosis import _record_inputs
from medcore.report.document import Figure, Item, Report, Section, now_utc
from medcore.report.explaining import explanation_section
from medcore.report.model_section import model_section


def _value(value: Any) -> str:
    if isinstance(value, (int, float, np.number)):
        return "" if pd.isna(value) else f"{value:g}"
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def survival_report(name: str, patient: pd.DataFrame, *, served: Any,
                    statuses: dict[str, str] | None = None, explain: bool = True,
                    source: str = "") -> Report:
    """The report of one breast-cancer patient (a one-row Rotterdam frame), as the Survival page
    states it: curve with the ensemble's band, recurrence-free survival at 1/3/5/10 years, the
    sentence, with vs without hormone therapy (curves, icon arrays, sentences, caveat).

    ``statuses``: the receptor statuses chosen above the page's form (``{"er": "positive"}``);
    default: the values in ``patient``.

    Raises
    ------
    DataValidationError
        Values the model cannot take.
    """
    from medcore.models import breast_cancer_deepsurv as model
    from medcore.models import breast_cancer_deepsurv_view as view
    from medcore.models import breast_cancer_receptors as receptors
    from medcore.records import out_of_range
    from medcore.schemas import ROTTERDAM

    card = served.card
    patient = patient[[c for c in model.FEATURE_NAMES if c in patient.columns]].iloc[[0]]
    patient = patient.reset_index(drop=True)
    model.to_model_array(patient)                 # raises on anything the model cannot take
    rows = receptors.receptor_rows(patient, statuses or {})
    prediction = receptors.predict_status(served, rows)
    inputs = _record_inputs(patient, ROTTERDAM)
    said = [Item(f"{'Oestrogen' if r == 'er' else 'Progesterone'} receptor status",
                 f"{s} (the value above is not used)")
            for r, s in rows.statuses.items() if s != receptors.VALUE]
    inputs = Section(inputs.heading, paragraphs=tuple(p for p in (receptors.describe(rows),) if p),
                     items=inputs.items + tuple(said))
    years = view.shown_years(prediction)
    items = []
    for year in years:
        value, low, high = (float(v[0]) for v in prediction.at(year))
        items.append(Item(f"Recurrence-free at {year:g} year{'s' if year != 1 else ''}",
                          f"{value:.0%} (ensemble spread {low:.0%} to {high:.0%})"))
    sentences = [model.rfs_sentence(float(prediction.at(y)[0][0]), y)
                 for y in years if y >= model.HORIZON_YEARS]
    result = Section("Result", paragraphs=tuple(sentences),
                     items=tuple(items),
                     warnings=tuple(out_of_range(patient, model.numeric_training_ranges(card))),
                     figures=(Figure("Recurrence-free survival", view.patient_figure(prediction),
                                     view.curve_caption(prediction, card)),))
    therapy = view.hormone_therapy(served, rows)
    hormone = Section("With and without hormone therapy",
                      paragraphs=tuple(view.benefit_sentence(c, emphasis="") for c in
                                       therapy.counts),
                      warnings=(view.CAVEAT,),
                      figures=(Figure("With and without hormone therapy", therapy.curves),
                               Figure("Of 100 women like her", therapy.icons,
                                      width=900, height=380)))
    sections = [result, hormone, inputs]
    if explain:
        sections.append(explanation_section(name, model.model_input(patient)[0]))
    sections.append(model_section(name, card))
    return Report(registry.spec(name).title, name, now_utc(), tuple(sections), source=source)


def _visits_table(history: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    """The visits as the page's "Visits used" table: clinical titles, no id, no outcome."""
    from medcore.schemas import PBC_VISITS

    columns = [c for c in PBC_VISITS.feature_names if c in history.columns]
    header = tuple(PBC_VISITS.column(c).display_label for c in columns)
    return (header, *(tuple(_value(v) for v in row)
                      for row in history[columns].itertuples(index=False)))


def sequence_report(name: str, history: pd.DataFrame, *, served: Any,
                    as_of_visit: int | None = None, explain: bool = True,
                    source: str = "") -> Report:
    """The report of one PBC patient's visits, as the Survival page states it after visit
    ``as_of_visit`` (default: the last).

    Raises
    ------
    DataValidationError
        Visits the model cannot take (several patients, missing columns...).
    """
    from medcore.datasets.pbc import check_visit_sequences
    from medcore.models import pbc_rnn
    from medcore.models import pbc_rnn_words as words
    from medcore.plots import sequences as plots

    card = served.card
    history = history.sort_values("day").reset_index(drop=True)
    history.attrs = {}
    warnings = check_visit_sequences(history, required=pbc_rnn.REQUIRED_COLUMNS)
    patient = re.escape(str(history["id"].iloc[0]))
    warnings = [re.sub(rf"\(patient {patient}\)", "(this patient)", w) for w in warnings]
    times, by_visit, days = pbc_rnn.survival_by_visit(served, history)
    k = len(days) if as_of_visit is None else int(np.clip(as_of_visit, 1, len(days)))
    five_year = pbc_rnn.survival_at(times, by_visit, words.HORIZON)
    paragraphs = [words.headline(float(five_year[k - 1]), k,
                                 float(plots.years_since_first_visit(days)[k - 1]))]
    if "status" in history.columns and "futime" in history.columns:
        paragraphs.append(words.observed_outcome(history))
    items = tuple(Item(f"{words.HORIZON:g}-year survival predicted after visit {i + 1} "
                       f"(year {years:.1f})", f"{100 * s:.0f}%")
                  for i, (s, years) in enumerate(zip(five_year,
                                                     plots.years_since_first_visit(days))))
    result = Section("Result", paragraphs=tuple(paragraphs), items=items,
                     warnings=tuple(warnings), figures=(
                         Figure(f"Predicted survival after visit {k}",
                                plots.survival_as_of_visit(times, by_visit, days, k)),
                         Figure(f"{words.HORIZON:g}-year survival predicted after each visit",
                                plots.survival_after_each_visit(days, five_year,
                                                                horizon=words.HORIZON,
                                                                as_of_visit=k))))
    inputs = Section("The visits used", paragraphs=(
        "Death is the event; a liver transplant counts as censoring (follow-up ends). The "
        "patient's identifier is not reproduced.",), table=_visits_table(history))
    sections = [result, inputs]
    if explain:
        sections.append(explanation_section(name, pbc_rnn.model_input(history)[0]))
    sections.append(model_section(name, card))
    return Report(registry.spec(name).title, name, now_utc(), tuple(sections), source=source)
