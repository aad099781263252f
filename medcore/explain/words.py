"""Plain-language summaries of an :class:`~medcore.explain.core.Explanation`.

``describe_in_words(explanation, top=3)`` returns two or three sentences: what the model said
compared with a named reference (the average of the patients it learnt from), the inputs that
moved it most ("serum bilirubin now 5.4 mg/dl (was 0.3 mg/dl at the first visit) lowers the
estimate by 7.0 pp"), the largest one the other way, and what the numbers are; an item that goes
against a known direction (:mod:`medcore.explain.directions`) says so in the sentence. Names and units
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
from medcore.explain.core import Explanation, GlobalExplanation
from medcore.explain.directions import MIN_EFFECT, Claim, contradictions, side_of
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

#: How a sentence marks an item that goes against what is known (see
#: :func:`medcore.explain.directions.contradictions`).
AGAINST_MEDICINE = "against what is known:"

#: Inputs coded in a few levels, in words: name -> {level: phrase}.
LEVEL_PHRASES: dict[str, dict[float, str]] = {
    "edema": {0.0: "no oedema", 0.5: "oedema (untreated or resolved)",
              1.0: "oedema despite diuretics"},
}

#: What the numbers are, per ``Explanation.output_unit``.
UNIT_NOTES: dict[str, str] = {
    "probability": "changes in the predicted probability in percentage points (pp)",
    "log-risk": ("changes in log-risk (the log hazard ratio; +0.69 doubles the hazard, "
                 "-0.69 halves it)"),
    "survival probability": ("changes in the predicted survival probability in percentage "
                             "points (pp)"),
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
    names = [_split_part(n) for n in explanation.feature_names]
    schema = schema_for([n for n, _ in names], spec)
    titles = tuple(feature_label(n, schema, spec) + part for n, part in names)
    return replace(explanation, feature_names=titles) if len(set(titles)) == len(titles) \
        else explanation


#: The suffixes of a visit-history global explanation's columns (see
#: :meth:`medcore.explain.visits.VisitHistoryExplainer.explain_global`).
PART_SUFFIXES = (" (latest visit)", " (earlier visits)")


def _split_part(name: str) -> tuple[str, str]:
    for suffix in PART_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)], suffix
    return name, ""


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
    if name in LEVEL_PHRASES and float(value) in LEVEL_PHRASES[name]:
        return LEVEL_PHRASES[name][float(value)]
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


def higher_is_better(explanation: Explanation | GlobalExplanation) -> bool:
    """Whether a higher output is the better outcome: the spec's explain target of that output
    (:attr:`medcore.registry.ExplainTarget.higher_is_better`), else true only for a survival
    probability."""
    spec = model_spec(explanation.model_name)
    for target in (spec.explain_targets if spec is not None else ()):
        if target.output_name == explanation.output_name:
            return target.higher_is_better
    return getattr(explanation, "output_unit", "") == "survival probability"


def explain_target(explanation: Explanation) -> registry.ExplainTarget:
    """The explain target an explanation is of (from its spec; else one made from its labels)."""
    spec = model_spec(explanation.model_name)
    for target in (spec.explain_targets if spec is not None else ()):
        if target.output_name == explanation.output_name:
            return target
    return registry.ExplainTarget("output", explanation.output_name, explanation.output_name,
                                  explanation.output_unit, higher_is_better(explanation))


def claims(explanation: Explanation) -> list[Claim]:
    """Every item an explanation can name, as :class:`~medcore.explain.directions.Claim`: its
    words, the side of its reference its value is on, and the change credited to it.

    Tabular: one per input (reference: the mean of the reference patients). A visit history
    explained by :class:`~medcore.explain.visits.VisitHistoryExplainer`: per biomarker its
    latest value ("now") and its earlier values ("history"), each fixed characteristic, and the
    visit schedule. Other visit-history explanations (SHAP over visits x biomarkers): one per
    biomarker, summed over the visits, its value as first and last visit (the side: whether it
    rose or fell).
    """
    e = explanation
    if e.kind == "image":
        raise ValueError("An image explanation has pixels, not named inputs.")
    if e.kind == "sequence" and "parts" in e.extras:
        return _history_claims(e)
    contributions = np.asarray(e.by_feature, dtype=np.float64)
    found = []
    if e.kind == "tabular":
        band = e.extras.get("reference_band")
        for i, name in enumerate(e.feature_names):
            side = side_of(e.values[i], None if band is None else band[:, i])
            found.append(Claim(name, describe_feature(e, i), side, float(contributions[i])))
        return found
    mask = e.extras.get("visit_mask")
    rows = np.flatnonzero(mask) if mask is not None else np.arange(len(e.values))
    rows = rows if rows.size else np.array([len(e.values) - 1])
    for i, name in enumerate(e.feature_names):
        first = e.values[rows[0], i]
        side = side_of(e.values[rows[-1], i], np.array([first, first]))
        found.append(Claim(name, describe_feature(e, i), side, float(contributions[i]),
                           part="all visits"))
    return found


def _history_claims(e: Explanation) -> list[Claim]:
    spec = model_spec(e.model_name)
    schema = schema_for(e.feature_names, spec)
    mask = e.extras.get("visit_mask", np.ones(len(e.values), dtype=bool))
    rows = np.asarray(e.values)[np.asarray(mask, dtype=bool)]
    latest, earlier = rows[-1], rows[:-1]
    statics = tuple(e.extras.get("static_features", ()))
    times = tuple(e.extras.get("time_features", ()))
    ref_latest = e.extras["reference_latest"]       # typical ranges, shape (2, F)
    ref_earlier = e.extras["reference_earlier"]
    found = []
    for j, name in enumerate(e.feature_names):
        now, history = float(e.attributions[1, j]), float(e.attributions[0, j])
        if times and name == times[0]:
            years = float(latest[j])
            found.append(Claim(name, f"the follow-up so far ({len(rows)} visits over "
                                     f"{years:.1f} years)", 0, now, part="timing"))
            continue
        if name in times:
            continue
        if name in statics:
            found.append(Claim(name, describe_value(name, latest[j], schema=schema, spec=spec),
                               side_of(latest[j], ref_latest[:, j]), now))
            continue
        was = (f" (was {_short(name, earlier[0, j], schema, spec)} at the first visit)"
               if len(earlier) and np.isfinite(earlier[0, j]) and np.isfinite(latest[j])
               and _number(earlier[0, j]) != _number(latest[j]) else "")
        found.append(Claim(name, f"{_now(name, latest[j], schema, spec)}{was}",
                           side_of(latest[j], ref_latest[:, j]), now, part="now"))
        found.append(Claim(name, _history_words(name, earlier[:, j], schema, spec),
                           side_of(float(np.nanmean(earlier[:, j])) if len(earlier)
                                   and np.isfinite(earlier[:, j]).any() else np.nan,
                                   ref_earlier[:, j]), history, part="history"))
    return found


def _short(name: str, value: float, schema: Schema | None,
           spec: registry.ModelSpec | None) -> str:
    """A value with its unit and without the input's title: ``"0.3 mg/dl"``, ``"absent"``."""
    phrases = {**BINARY_PHRASES, **(spec.input_phrases if spec is not None else {})}
    if name in phrases:
        return "present" if float(value) >= 0.5 else "absent"
    if name in LEVEL_PHRASES and float(value) in LEVEL_PHRASES[name]:
        return LEVEL_PHRASES[name][float(value)]
    column = _column(name, schema, spec)
    unit = (f" {column.unit}" if column is not None and column.unit and column.unit != "ratio"
            and " / " not in column.unit else "")
    return f"{_number(value)}{unit}"


def _now(name: str, value: float, schema: Schema | None,
         spec: registry.ModelSpec | None) -> str:
    """``"serum bilirubin now 5.4 mg/dl"``; ``"no ascites now"``."""
    phrases = {**BINARY_PHRASES, **(spec.input_phrases if spec is not None else {})}
    if not np.isfinite(value):
        column = _column(name, schema, spec)
        title = name if column is None else _lower_first(column.title or column.name)
        return f"{title} never measured (the model uses the training median)"
    if name in phrases:
        return f"{phrases[name][0 if float(value) >= 0.5 else 1]} now"
    if name in LEVEL_PHRASES and float(value) in LEVEL_PHRASES[name]:
        return f"{LEVEL_PHRASES[name][float(value)]} now"
    column = _column(name, schema, spec)
    title = name if column is None else _lower_first(column.title or column.name)
    return f"{title} now {_short(name, value, schema, spec)}"


def _history_words(name: str, values: np.ndarray, schema: Schema | None,
                   spec: registry.ModelSpec | None) -> str:
    """The earlier visits of one biomarker: ``"the earlier serum bilirubin values (0.3 to
    1.8 mg/dl)"``, ``"spider angiomas at 2 of 7 earlier visits"``."""
    column = _column(name, schema, spec)
    title = name if column is None else _lower_first(column.title or column.name)
    if len(values) == 0:
        return f"no earlier {title} value (one visit)"
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return f"no earlier {title} value"
    phrases = {**BINARY_PHRASES, **(spec.input_phrases if spec is not None else {})}
    if name in phrases:
        present = int(np.sum(np.asarray(values) >= 0.5))
        visits = "the earlier visit" if len(values) == 1 else f"the {len(values)} earlier visits"
        if present == 0:
            return f"{phrases[name][1]} at {visits}"
        if present == len(values):
            return f"{phrases[name][0]} at {visits}"
        return f"{phrases[name][0]} at {present} of {len(values)} earlier visits"
    low, high = float(np.min(values)), float(np.max(values))
    if name in LEVEL_PHRASES and low == high and low in LEVEL_PHRASES[name]:
        visits = "the earlier visit" if len(values) == 1 else f"the {len(values)} earlier visits"
        return f"{LEVEL_PHRASES[name][low]} at {visits}"
    if _number(low) == _number(high):
        return f"the earlier {title} ({_short(name, low, schema, spec)})"
    return (f"the earlier {title} values ({_number(low)} to "
            f"{_short(name, high, schema, spec)})")


def named_claims(explanation: Explanation, top: int = 3) -> list[Claim]:
    """The claims a sentence names: the ``top`` largest changes, the largest one the other way
    when none of those goes against the total change, and for a biomarker of a visit history
    named by its latest value or its history, the other one too (a clinician reads them
    together: "bilirubin now 5.4 (was 0.3) lowers...; its earlier values raise...")."""
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}.")
    found = [c for c in claims(explanation) if c.effect != 0]
    found.sort(key=lambda c: -abs(c.effect))
    named = found[:top]
    gap = explanation.output - explanation.base_value
    if named and all(c.effect * gap >= 0 for c in named):
        other = next((c for c in found[top:] if c.effect * gap < 0), None)
        named += [other] if other is not None else []
    parts = {"now": "history", "history": "now"}        # a biomarker's level and its history
    for claim in list(named):
        sibling = next((c for c in found if c.feature == claim.feature
                        and c.part == parts.get(claim.part)), None)
        if sibling is not None and sibling not in named and abs(sibling.effect) >= MIN_EFFECT:
            named.append(sibling)
    return sorted(named, key=lambda c: -abs(c.effect))


def reference_phrase(explanation: Explanation) -> str:
    """Who the explanation compares with, in words: ``"the 100 patients the model learnt
    from"``."""
    name = explanation.extras.get("reference_name")
    if name:
        return f"the average of {name}"
    return ("the average training image" if explanation.kind == "image"
            else "the average training patient")


def describe_in_words(explanation: Explanation, top: int = 3) -> str:
    """Two or three sentences a clinician reads, for any explanation kind.

    Parameters
    ----------
    explanation : Explanation
    top : int
        How many inputs (features, biomarkers) to name at most (plus the largest one the other
        way when none of them is).

    Returns
    -------
    str
        E.g. "The predicted probability of being alive 5 years after the last visit is 44%,
        compared with 45% for the average of 100 patients the model learnt from. Serum albumin
        now 2.8 g/dl (was 3.7 at the first visit) lowers the estimate by 6.1 pp, ...; the
        earlier serum bilirubin values (0.3 to 1.8 mg/dl) raise it by 9.2 pp. ..."

    Raises
    ------
    ValueError
        ``top`` is smaller than 1.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}.")
    e = explanation
    unit = e.output_unit
    opening = (f"The predicted {e.output_name} is {format_output(e.output, unit)}, compared "
               f"with {format_output(e.base_value, unit)} for {reference_phrase(e)}.")
    if e.kind == "image":
        return opening + " " + _image_sentence(e)
    named = named_claims(e, top)
    spec = model_spec(e.model_name)
    against = ({id(c.claim): c for c in contradictions(spec, explain_target(e), named)}
               if spec is not None else {})

    def item(claim: Claim, text: str) -> str:
        known = against.get(id(claim))
        return text if known is None else (f"{text} ({AGAINST_MEDICINE} {known.known.reason}; "
                                           "a quirk of the model, not medicine)")

    lowering = [c for c in named if c.effect < 0]
    raising = [c for c in named if c.effect > 0]
    parts = []
    for group, verb in ((lowering, "lower"), (raising, "raise")):
        if not group:
            continue
        first, rest = group[0], group[1:]
        verb += "" if _plural(first.text) else "s"
        items = [item(first, f"{first.text} {verb} the estimate by "
                             f"{_amount(first.effect, unit)}")]
        items += [item(c, f"{c.text} by {_amount(c.effect, unit)}") for c in rest]
        parts.append(_join(items))
    sentence = opening
    if parts:
        body = "; ".join(parts)
        sentence += " " + body[:1].upper() + body[1:] + "."
    if e.kind == "sequence" and "parts" not in e.extras:
        sentence += " " + _visit_sentence(e)
    note = UNIT_NOTES.get(unit, f"changes in the {e.output_name}")
    sentence += f" The numbers are {note}; they describe the model, not causes."
    return sentence


def _plural(text: str) -> bool:
    """Whether an item's words are plural ("the earlier ... values", "12 positive lymph
    nodes")."""
    words = text.split(" ", 1)
    counted = words[0].replace(",", "").isdigit() and words[0] != "1" and len(words) > 1
    return (text.startswith("the earlier") and " values (" in text) or counted


def _amount(value: float, unit: str) -> str:
    """The size of a change without its sign: ``"14 pp"``, ``"0.41"``."""
    return format_contribution(abs(value), unit).lstrip("+")


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
