"""Whether ``pneumonia_cnn`` can judge a scan: its intended use, rule by rule.

The model learnt from paediatric frontal chest radiographs (PneumoniaMNIST, from Kermany et al.
2018). :func:`assess` applies each rule below to a scan and the 28 x 28 input made from it and
returns an :class:`Assessment`: either the scan is **not assessable** (the page shows no verdict,
no coloured call and no headline probability, only the reasons), or it is, possibly with
cautions the page shows beside the verdict.

Rules that make a scan not assessable:

* **modality**: a DICOM file whose Modality is not radiography (CR, DX): CT, MR, ultrasound...
* **body part**: a file whose Body Part Examined names a region other than the chest.
* **colour**: a colour image whose channels differ (a photograph, a colour-coded map); a grey
  image stored as RGB is read as grey.
* **unreadable frame**: the frame given to the model is blank (one grey level) or not finite.
* **out of distribution** (the card's documented rule, ``parameters.input_reference``): the
  input's mean grey level or contrast lies outside the 1st-99th percentiles of the training
  images.

Cautions (the verdict stays): a PNG/JPEG carries no modality; a multi-frame image is judged on
one frame; a patient's age (DICOM Patient's Age or Birth Date) outside the ages the model learnt
from (``card.factors.age_years``), or a file that gives no age.
No TensorFlow and no Streamlit here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: DICOM modalities the model is meant for: computed and digital radiography.
INTENDED_MODALITIES: tuple[str, ...] = ("CR", "DX")
#: Body Part Examined values (DICOM PS3.16 CID 4031 and common free text) meaning the chest.
CHEST_BODY_PARTS: tuple[str, ...] = ("CHEST", "THORAX", "LUNG", "LUNGS", "CHEST_TO_ABDOMEN",
                                     "BREAST_CHEST", "TORSO")
#: Modalities named in words, for the reason shown.
MODALITY_WORDS: dict[str, str] = {
    "CT": "computed tomography", "MR": "magnetic resonance", "US": "ultrasound",
    "PT": "positron emission tomography", "NM": "nuclear medicine", "MG": "mammography",
    "XA": "X-ray angiography", "RF": "fluoroscopy", "OT": "other", "SC": "secondary capture",
    "SEG": "segmentation", "RTDOSE": "radiotherapy dose", "IO": "intra-oral radiography",
    "PX": "panoramic dental radiography", "ES": "endoscopy", "XC": "photography",
}
#: A colour image is a photograph when this share of its pixels differ between channels by more
#: than :data:`COLOUR_LEVELS` grey levels (JPEG noise on a grey film stays far below both).
COLOUR_SHARE = 0.01
COLOUR_LEVELS = 8.0
#: A model input whose standard deviation is below this (grey levels of 0..255) is blank.
BLANK_SD = 1.0
#: Adults, for the population caution.
ADULT_AGE = 18


@dataclass(frozen=True)
class Assessment:
    """Whether the model can judge a scan.

    Attributes
    ----------
    assessable : bool
        False when any rule makes the scan not assessable: show no verdict.
    reasons : tuple of str
        Why it is not assessable, in words (empty when assessable).
    cautions : tuple of str
        What the clinician must keep in mind beside a verdict (or beside the reasons).
    """

    assessable: bool
    reasons: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()


def _modality_reason(scan: Any) -> str | None:
    modality = str(scan.modality or "").upper()
    if scan.source != "dicom" or modality in INTENDED_MODALITIES:
        return None
    words = MODALITY_WORDS.get(modality)
    shown = f"{modality} ({words})" if words else (modality or "missing")
    return (f"The file's modality is {shown}, not a radiograph (CR or DX): the model reads only "
            "frontal chest radiographs.")


def _body_part_reason(scan: Any) -> str | None:
    part = str(scan.metadata.get("body_part") or "").strip().upper()
    if not part or part in CHEST_BODY_PARTS:
        return None
    return (f"The file's body part is {part}, not the chest: the model reads only chest "
            "radiographs.")


def _colour_reason(scan: Any, frame: int | None) -> str | None:
    if not scan.is_colour:
        return None
    pixels = np.asarray(scan.frame(frame), dtype=np.float32)
    spread = pixels.max(axis=-1) - pixels.min(axis=-1)
    if float(np.mean(spread > COLOUR_LEVELS)) <= COLOUR_SHARE:
        return None
    return ("This is a colour image (a photograph or a colour-coded picture), not a grey-scale "
            "radiograph: the model learnt from radiographs only.")


def _unreadable_reason(model_input: np.ndarray | None) -> str | None:
    if model_input is None:
        return None
    values = np.asarray(model_input, dtype=float)
    if not np.isfinite(values).all():
        return "The frame holds values that are not numbers: the model cannot read it."
    if float(values.std()) < BLANK_SD:
        return ("The frame given to the model is blank (one uniform grey level): there is "
                "nothing in it for the model to read.")
    return None


def input_statistics(model_input: np.ndarray) -> dict[str, float]:
    """Mean grey level and contrast (standard deviation) of a model input (0..255), the
    quantities of the card's ``input_reference``."""
    values = np.asarray(model_input, dtype=float)
    return {"mean_grey": float(values.mean()), "contrast_sd": float(values.std())}


def _out_of_distribution_reasons(model_input: np.ndarray | None,
                                 reference: dict[str, Any] | None) -> list[str]:
    if model_input is None or not reference:
        return []
    words = {"mean_grey": ("darker", "brighter", "mean grey level"),
             "contrast_sd": ("flatter", "more contrasted", "contrast (standard deviation)")}
    reasons = []
    for key, value in input_statistics(model_input).items():
        if key not in reference:
            continue
        low, high = reference[key]
        if not low <= value <= high:
            lower, higher, name = words[key]
            reasons.append(
                f"The image the model reads is {higher if value > high else lower} than 98% of "
                f"its training radiographs ({name} {value:.0f}; training 1st-99th percentile "
                f"{low:.0f}-{high:.0f}): it is unlike the films the model learnt from (another "
                "kind of image, exposure or processing), so its output cannot be relied on.")
    return reasons


def _age_caution(scan: Any, ages: Any) -> str | None:
    if ages is None or scan.source == "array":
        return None
    youngest, oldest = float(ages.min), float(ages.max)
    span = f"children aged {youngest:g} to {oldest:g} years"
    age = scan.age_years
    if age is None:
        return (f"The file gives no patient age: the model learnt only from {span}; on older "
                "children's or adults' films it has not been tested.")
    if age >= ADULT_AGE:
        return (f"This patient is an adult (the file's age fields give {ADULT_AGE} years or "
                f"more): the model learnt only from {span}, whose chests differ from adults' "
                "in size, shape and disease; on adults' films it has not been tested.")
    if age > oldest:
        return (f"The file gives an age above {oldest:g} years: the model learnt only from "
                f"{span}; on older children it has not been tested.")
    if age < youngest:
        return (f"The file gives an age under {youngest:g} year: the model learnt only from "
                f"{span}; on infants it has not been tested.")
    return None


def _cautions(scan: Any, frame: int | None, ages: Any) -> list[str]:
    cautions = []
    if scan.source in ("png", "jpeg"):
        cautions.append("A PNG/JPEG file carries no modality, body part or age: make sure it "
                        "is a frontal chest radiograph of a child; the model cannot tell.")
    if scan.n_frames > 1:
        used = scan.n_frames // 2 if frame is None else int(frame)
        cautions.append(f"This is a multi-frame image ({scan.n_frames} frames): the model reads "
                        f"one frame only, frame {used + 1} of {scan.n_frames}.")
    age = _age_caution(scan, ages)
    if age:
        cautions.append(age)
    return cautions


def assess(scan: Any, frame: int | None = None, *, model_input: np.ndarray | None = None,
           card: Any = None) -> Assessment:
    """Apply the intended-use rules (module docstring) to ``scan``.

    Parameters
    ----------
    scan : medcore.imaging.Scan
    frame : int, optional
        The frame given to the model (default: the middle one, as ``to_model_input`` does).
    model_input : ndarray, shape (1, 28, 28, 1), optional
        The input made from that frame: checked for a blank frame and, with ``card``, against
        the card's out-of-distribution rule.
    card : medcore.cards.ModelCard, optional
        The model's card: ``parameters["input_reference"]`` (the out-of-distribution rule) and
        ``factors.age_years`` (the population's ages).

    Returns
    -------
    Assessment
    """
    reference = card.parameters.get("input_reference") if card is not None else None
    ages = card.factors.age_years if card is not None else None
    reasons = [r for r in (_modality_reason(scan), _body_part_reason(scan),
                           _colour_reason(scan, frame), _unreadable_reason(model_input)) if r]
    if not reasons:        # an image of another kind is out of distribution for that reason
        reasons += _out_of_distribution_reasons(model_input, reference)
    return Assessment(assessable=not reasons, reasons=tuple(reasons),
                      cautions=tuple(_cautions(scan, frame, ages)))
