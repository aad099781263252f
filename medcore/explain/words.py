"""Plain-language summaries of an :class:`~medcore.explain.core.Explanation`.

``describe_in_words(explanation, top=3)`` returns two or three sentences: what the model said
compared with the average patient, the inputs that pushed it there (value, unit, signed
contribution), the largest input pushing the other way, and what the numbers are. Names and units
come from :mod:`medcore.schemas` (each column's clinical ``title``, never the data set's column
name: "progesterone receptor", not "pgr"); the direction words follow the output (a higher
survival is better, a higher risk is worse; the sentences only say higher/lower, never good/bad).
``feature_label(name)`` gives the same title with its unit for labels on a page, and
``with_titles(explanation)`` an explanation whose feature names are those labels (for plots).
What is the model's own (its schema, inputs derived from the schema's columns such as
``pbc_rnn``'s clock, binary inputs coded its own way) comes from its spec in
:mod:`medcore.registry`, found through ``Explanation.model_name``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

import numpy as np

from medcore import registry
from medcore.errors import ModelFileError
from medcore.explain.core import Explanation
from medcore.explain.image import region_shares
from medcore.schemas import SCHEMAS, Column, Schema

T = TypeVar("T")

#: Binary schema columns in words: name -> (phrase when 1, phrase when 0). A model that codes
#: an input its own way says so in its spec (``input_phrases``).
BINARY_PHRASES: dict[str, tuple[str, str]] = {
    "hormon": ("hormone therapy", "no hormone therapy"),
    "meno": ("post-menopausal status", "pre-menopausal status"),
    "trt": ("D-penicillamine", "placebo"),
    "ascites": ("ascites", "no ascites"),
    "hepato": ("hepatomegaly", "no hepatomegaly"),
    "spiders": ("spider angiomas", "no spider angiomas"),
}

#: What the numbers are, per ``Explanation.output_unit``.
UNIT_NOTES: dict[str, str] = {
    "probability": "changes in the predicted probability in percentage points",
    "log-risk": ("changes in log-risk (the log hazard ratio; +0.69 doubles the hazard, "
                 "-0.69 halves it)"),
    "survival probability": "changes in the predicted survival probability in percentage points",
    "log-odds": "changes in log-odds (+0.69 doubles the odds, -0.69 halves them)",
}


def model_spec(model_name: str) -> registry.ModelSpec | None:
    """The spec of a registered model (``None`` for an unnamed or unknown one)."""
    try:
        return registry.spec(model_name) if model_name else None
    except ModelFileError:
        return None


def schema_for(names: Sequence[str], spec: registry.ModelSpec | None = None) -> Schema | None:
    """The model's schema: its spec's, else the schema sharing most columns with its feature
    ``names`` (``None`` if none does); tells "age" at surgery (Rotterdam) from "age" at the
    first visit (PBC)."""
    if spec is not None and spec.schema is not None:
        return spec.schema
    overlap = {s.name: len(set(names) & set(s.column_names)) for s in SCHEMAS.values()}
    best = max(overlap, key=overlap.get)
    return SCHEMAS[best] if overlap[best] else None


def _column(name: str, schema: Schema | None = None,
            spec: registry.ModelSpec | None = None) -> Column | None:
    derived = {c.name: c for c in spec.derived_inputs} if spec is not None else {}
    if name in derived:
        return derived[name]
    for candidate in ([schema] if schema is not None else []) + list(SCHEMAS.values()):
        try:
            return candidate.column(name)
        except KeyError:
            continue
    return None


def _lower_first(title: str) -> str:
    """``"Serum bilirubin"`` -> ``"serum bilirubin"``; acronyms stay (``"AST"``)."""
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]


def feature_label(name: str, schema: Schema | None = None,
                  spec: registry.ModelSpec | None = None) -> str:
    """A model input's label for a reader, with its unit: ``"Progesterone receptor (fmol/l)"``
    for ``pgr``; the name itself when no schema knows it. ``schema``: where to look first (e.g.
    :func:`schema_for` of the model's feature names); ``spec``: the model's (its derived
    inputs)."""
    column = _column(name, schema, spec)
    return name if column is None else column.display_label


def _number(value: float) -> str:
    value = float(value)
    if value != 0 and abs(value) < 0.01:
        return f"{value:.2g}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def with_titles(explanation: T) -> T:
    """A copy of an :class:`Explanation` or ``GlobalExplanation`` whose ``feature_names`` are
    the readers' labels (:func:`feature_label`), for axes and pickers on a page.

    Keep the original for :func:`describe_in_words` (it looks the columns up by name).
    """
    spec = model_spec(explanation.model_name)
    schema = schema_for(explanation.feature_names, spec)
    titles = tuple(feature_label(n, schema, spec) for n in explanation.feature_names)
    return replace(explanation, feature_names=titles) if len(set(titles)) == len(titles) \
        else explanation


def describe_value(name: str, value: float, first: float | None = None,
                   schema: Schema | None = None, spec: registry.ModelSpec | None = None) -> str:
    """An input in words with its unit, e.g. ``"12 positive lymph nodes"``,
    ``"serum bilirubin 3.2 mg/dl"``.

    ``first``: for a visit history, the first visit's value; a numeric input that changed reads
    ``"serum bilirubin from 0.3 to 5.4 mg/dl"``. ``schema``: the model's schema, looked in first
    (PBC's ``age`` is the age at the first visit, Rotterdam's the age at surgery). ``spec``: the
    model's spec (its own coding of binary inputs, its derived inputs).
    """
    phrases = {**BINARY_PHRASES, **(spec.input_phrases if spec is not None else {})}
    if name in phrases:
        return phrases[name][0 if float(value) >= 0.5 else 1]
    column = _column(name, schema, spec)
    changed = first is not None and _number(first) != _number(value)
    if column is None:
        return f"{name} {'from ' + _number(first) + ' to ' if changed else ''}{_number(value)}"
    title = _lower_first(column.title or column.description or column.name)
    if column.unit == "count":
        return f"{_number(value)} {title}"
    if column.kind == "category" and column.categories:
        index = int(round(float(value)))
        if 0 <= index < len(column.categories):
            label = column.categories[index]
            unit = f" {column.unit}" if column.unit else ""
            return f"{title} {label}{unit}"
    label = title
    unit = (f" {column.unit}" if column.unit and column.unit != "ratio" and " / " not in column.unit
            else "")
    if changed:
        return f"{label} from {_number(first)} to {_number(value)}{unit}"
    return f"{label} {_number(value)}{unit}"


def describe_feature(explanation: Explanation, index: int) -> str:
    """Feature ``index`` of an explanation in words: its value (tabular) or its first and last
    values over the real visits (sequence)."""
    e = explanation
    name = e.feature_names[index]
    spec = model_spec(e.model_name)
    schema = schema_for(e.feature_names, spec)
    if e.kind == "tabular":
        return describe_value(name, e.values[index], schema=schema, spec=spec)
    mask = e.extras.get("visit_mask")
    rows = np.flatnonzero(mask) if mask is not None else np.arange(len(e.values))
    rows = rows if rows.size else np.array([len(e.values) - 1])
    return describe_value(name, e.values[rows[-1], index], first=e.values[rows[0], index],
                          schema=schema, spec=spec)


def format_contribution(value: float, unit: str) -> str:
    """A signed contribution: ``"+21 pp"`` for probabilities, ``"+0.41"`` otherwise."""
    if unit in ("probability", "survival probability"):
        points = 100.0 * value
        return f"{points:+.1f} pp" if abs(points) < 10 else f"{points:+.0f} pp"
    return f"{value:+.2f}"


def format_output(value: float, unit: str) -> str:
    """The model output: a percentage for probabilities, two decimals otherwise."""
    if unit in ("probability", "survival probability"):
        return f"{100.0 * value:.0f}%"
    return f"{value:.2f}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def describe_in_words(explanation: Explanation, top: int = 3) -> str:
    """Two or three sentences a clinician reads, for any explanation kind.

    Parameters
    ----------
    explanation : Explanation
    top : int
        How many inputs (features, biomarkers) to name at most.

    Returns
    -------
    str
        E.g. "The predicted log-risk (0.93) is higher than average (0.05) mainly because of
        12 positive lymph nodes (+0.41) and progesterone receptor 3 fmol/l (+0.22); hormone
        therapy lowers it (-0.15). The numbers are changes in log-risk (...) relative to the
        average training patient."

    Raises
    ------
    ValueError
        ``top`` is smaller than 1.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}.")
    e = explanation
    unit = e.output_unit
    gap = e.output - e.base_value
    direction = "higher" if gap > 0 else "lower" if gap < 0 else "the same as"
    opening = (f"The predicted {e.output_name} ({format_output(e.output, unit)}) is "
               f"{direction} {'than ' if gap else ''}average "
               f"({format_output(e.base_value, unit)})")
    if e.kind == "image":
        return opening + ". " + _image_sentence(e)
    contributions = np.asarray(e.by_feature, dtype=np.float64)
    order = np.argsort(-np.abs(contributions))[:top]
    sign = 1.0 if gap >= 0 else -1.0
    supporting = [i for i in order if contributions[i] * sign > 0]
    opposing = [i for i in order if contributions[i] * sign < 0]
    if not supporting:
        candidates = [i for i in np.argsort(-contributions * sign) if contributions[i] * sign > 0]
        supporting = candidates[:1]

    def item(i: int) -> str:
        return f"{describe_feature(e, i)} ({format_contribution(contributions[i], unit)})"

    sentence = opening
    if supporting and gap != 0:
        sentence += " mainly because of " + _join([item(i) for i in supporting])
    if opposing:
        verb = "raise" if sign < 0 else "lower"
        verb += "" if len(opposing) > 1 else "s"
        if len(opposing) == 1:  # "hormone therapy lowers it (-0.15)"
            i = opposing[0]
            sentence += (f"; {describe_feature(e, i)} {verb} it "
                         f"({format_contribution(contributions[i], unit)})")
        else:
            sentence += f"; {_join([item(i) for i in opposing])} {verb} it"
    sentence += "."
    if e.kind == "sequence":
        sentence += " " + _visit_sentence(e)
    note = UNIT_NOTES.get(unit, f"changes in the {e.output_name}")
    sentence += (f" The numbers are {note}, relative to the average training patient; "
                 "they describe the model, not causes.")
    return sentence


def _visit_sentence(e: Explanation) -> str:
    by_visit = e.by_visit
    mask = e.extras.get("visit_mask")
    visits = np.flatnonzero(mask) if mask is not None else np.arange(len(by_visit))
    if visits.size == 0:
        return ""
    best = visits[np.argmax(np.abs(by_visit[visits]))]
    years = e.extras.get("visit_years")
    when = f"visit {int(np.searchsorted(visits, best)) + 1} of {visits.size}"
    if years is not None:
        when += f" (at {float(years[best]):.1f} years)"
    return (f"Of the {visits.size} visits, {when} weighed most "
            f"({format_contribution(by_visit[best], e.output_unit)}); a biomarker's number is "
            "summed over all its visits, its values are first and last visit.")


def _image_sentence(e: Explanation) -> str:
    shares = region_shares(e.attributions)
    vertical = "upper" if shares["upper"] >= 0.5 else "lower"
    horizontal = "left" if shares["left"] >= 0.5 else "right"
    text = (f"The pixels that raised it lie mostly in the {vertical} half "
            f"({100 * shares[vertical]:.0f}% of the positive attribution) and on the "
            f"{horizontal} side of the image ({100 * shares[horizontal]:.0f}%; the image's left "
            "is the patient's right on a frontal film).")
    cam = e.extras.get("grad_cam")
    if cam is not None:
        cam_shares = region_shares(cam)
        cam_vertical = "upper" if cam_shares["upper"] >= 0.5 else "lower"
        cam_horizontal = "left" if cam_shares["left"] >= 0.5 else "right"
        text += f" Grad-CAM puts the model's attention in the {cam_vertical} {cam_horizontal} part."
    return text + (" SHAP values are changes in the probability, relative to the average "
                   "training image; they show where the model looked, not a finding.")
