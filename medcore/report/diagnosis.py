"""Reports of the Diagnosis page's models: pneumonia on a radiograph (image classifier) and
malignancy of a breast aspirate (tabular classifier).

Every number and sentence comes from the functions the page calls (the model module, its words
module, the card); the figures are the page's. The scan enters only through its de-identified
metadata (:meth:`medcore.imaging.Scan.metadata_rows`): never its file name, which may name the
patient.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from medcore import registry
from medcore.report.document import Figure, Item, Report, Section, now_utc
from medcore.report.explaining import explanation_section
from medcore.report.model_section import model_section

#: Height of the film in the report (pixels at export).
FILM_HEIGHT = 520


def _scan_inputs(scan: Any, frame: int, window: Any) -> Section:
    rows, columns = scan.pixels.shape[1:3]
    items = [Item(label, value) for label, value in scan.metadata_rows()]
    items += [Item("Image", f"{scan.modality}, {rows} x {columns} pixels"
                   + (f", frame {frame + 1} of {scan.n_frames}" if scan.n_frames > 1 else "")),
              Item("Model-input window", window.description)]
    note = ("Identifying fields of the file (patient name, ID, dates, institution...) were "
            f"hidden: {len(scan.hidden_identifiers)} present, none shown here."
            if scan.identifiers_hidden else
            "De-identified scan metadata only; the file name is not reproduced.")
    return Section("The scan assessed", paragraphs=(note,), items=tuple(items))


@functools.lru_cache(maxsize=None)
def _gradient_map(name: str) -> Any:
    """The Diagnosis page's map model (LiteRT, ``NAME.map.tflite``), loaded once per process."""
    return registry.load_gradient_map(name)


def _attribution_map(name: str, x: np.ndarray) -> np.ndarray:
    """The Diagnosis page's map: gradient x difference from the mean training image, run by
    LiteRT as on the page (no TensorFlow)."""
    return _gradient_map(name)(x)[0]


def image_report(name: str, scan: Any, *, served: Any, frame: int | None = None,
                 prevalence: float | None = None, explain: bool = True,
                 source: str = "") -> Report:
    """The report of one scan, as the Diagnosis page states it.

    Parameters
    ----------
    scan : medcore.imaging.Scan
    served : the serving model (``registry.serving_model(name)``).
    frame : the frame assessed (default: the middle one, as the page).
    prevalence : the share of children with pneumonia for the predictive values (default: the
        test set's, as the page's slider).
    explain : add the SHAP explanation (Keras; seconds on first use). Without it, no
        TensorFlow: the map runs through LiteRT, as on the page.

    Raises
    ------
    MedcoreError
        A scan that cannot be made into a model input.
    """
    from medcore.imaging import model_square, model_window, to_model_input
    from medcore.models import pneumonia_cnn
    from medcore.models import pneumonia_cnn_words as words
    from medcore.models.pneumonia_cnn_scope import assess
    from medcore.plots.images import scan_figure

    frame = scan.n_frames // 2 if frame is None else frame
    window = model_window(scan, frame)
    x = to_model_input(scan, frame=frame, window=window.window)
    card = served.card
    assessment = assess(scan, frame, model_input=x, card=card)
    prediction = pneumonia_cnn.predict(served, x)
    probability = float(prediction.probability[0])
    members = prediction.member_probabilities[0]
    inputs = _scan_inputs(scan, frame, window)
    population = f"Learnt from: {card.factors.population}"
    if not assessment.assessable:
        raw = words.probability_with_range(probability, members)
        sections = [Section("Result: Not assessable by this model",
                            paragraphs=("Not assessable by this model.",
                                        words.raw_output_sentence(raw), population),
                            warnings=(*assessment.reasons, *assessment.cautions)),
                    inputs, model_section(name, card)]
        return Report(registry.spec(name).title, name, now_utc(), tuple(sections),
                      assessable=False, source=source)
    threshold = card.threshold.value
    paragraphs = [words.call_sentence(probability >= threshold),
                  words.ensemble_sentence(probability, members)]
    paragraphs += [s for s in (pneumonia_cnn.operating_point_sentence(card.evaluation),) if s]
    point, test_prevalence = words.test_operating_point(card), words.test_prevalence(card)
    chosen = prevalence if prevalence is not None else test_prevalence
    if point is not None and chosen is not None:
        paragraphs.append(words.prevalence_sentences(*point, chosen))
    paragraphs += [s for s in (words.calibration_sentence(card), population) if s]
    items = (Item("P(pneumonia)", words.percent(probability)),
             Item("Networks range", words.member_span(members)),
             Item("Operating threshold", f"{words.percent(threshold)} ({card.threshold.rule})"))
    test = (card.evaluation or {}).get("test") or {}
    items += tuple(Item(title, f"{test[key]:.1%}") for key, title in (
        ("sensitivity", "Sensitivity at the threshold (test set)"),
        ("specificity", "Specificity at the threshold (test set)")) if key in test)
    reference = scan.metadata.get("reference_label")
    if reference:
        paragraphs.append(f"Data-set label of this sample: {reference}.")
    film = scan.display(frame)
    overlay = scan_figure(film, overlay=_attribution_map(name, x), overlay_opacity=0.6,
                          overlay_box=model_square(scan), overlay_signed=True, show_scale=False,
                          height=FILM_HEIGHT)
    sections = [Section("Result", paragraphs=tuple(paragraphs), items=items,
                            warnings=assessment.cautions,
                            figures=(Figure("What moved the score, on the film", overlay,
                                            words.map_caption(), width=620,
                                            height=FILM_HEIGHT),)), inputs]
    if explain:
        sections.append(explanation_section(name, x[0]))
    sections.append(model_section(name, card))
    return Report(registry.spec(name).title, name, now_utc(), tuple(sections), source=source)


def _record_inputs(frame: pd.DataFrame, schema: Any, heading: str = "The patient's values"
                   ) -> Section:
    """One patient's model inputs with their clinical titles and units (no identifier column:
    the schema's features only)."""
    row = frame.iloc[0]
    items = tuple(Item(schema.column(c).display_label, f"{row[c]:g}"
                       if isinstance(row[c], (int, float, np.number)) else str(row[c]))
                  for c in schema.feature_names if c in frame.columns)
    return Section(heading, items=items)


def tabular_report(name: str, patient: pd.DataFrame, *, served: Any,
                   threshold: float | None = None, explain: bool = True,
                   source: str = "") -> Report:
    """The report of one breast aspirate (a one-row frame of the Wisconsin columns), as the
    Diagnosis page states it.

    Raises
    ------
    DataValidationError
        Values the model cannot take.
    """
    from medcore import metrics
    from medcore.models import breast_cancer_fnn as fnn
    from medcore.records import out_of_range
    from medcore.schemas import WDBC

    card = served.card
    threshold = card.threshold.value if threshold is None else threshold
    patient = patient[[c for c in WDBC.feature_names if c in patient.columns]].iloc[[0]]
    scored = fnn.score_records(served, patient, threshold)
    probability = float(scored["P(malignant)"].iloc[0])
    y, p = fnn.test_predictions(served)
    at = metrics.threshold_metrics(y, p, threshold)
    items = (Item("P(malignant)", f"{probability:.1%}"),
             Item(f"Call at threshold {threshold:.2f}", str(scored["call"].iloc[0])),
             *(Item(f"{title} at the threshold (test split)",
                    "n/a" if np.isnan(at[key]) else f"{at[key]:.1%}")
               for key, title in (("sensitivity", "Sensitivity"), ("specificity", "Specificity"),
                                  ("ppv", "PPV"), ("npv", "NPV"), ("accuracy", "Accuracy"))))
    result = Section("Result", paragraphs=(fnn.threshold_meaning(y, p, threshold),),
                     items=items, warnings=tuple(out_of_range(patient, card.input_contract.ranges)))
    sections = [result, _record_inputs(patient, WDBC, "The aspirate's measurements")]
    if explain:
        sections.append(explanation_section(name, fnn.model_input(patient)[0]))
    sections.append(model_section(name, card))
    return Report(registry.spec(name).title, name, now_utc(), tuple(sections), source=source)
