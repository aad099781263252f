"""The model card: one typed shape for every shipped model, validated when it is read.

Sections follow Mitchell et al., *Model Cards for Model Reporting* (FAT* 2019), so a reader of
any card finds the same thing in the same place:

==========================  =====================================================================
``model_details``           name, version (the sha256 of ``NAME.keras``), file, summary,
                            architecture, training settings, seed, training time
``intended_use``            primary uses and out-of-scope uses
``factors``                 the population the model learnt from, in words, its
                            ages (where known) and who collected the data
``metrics``                 the measures reported, how their intervals are made, and how the
                            model shows its own uncertainty
``evaluation_data``         what the figures in ``evaluation`` were computed on
``training_data``           source, licence, citation, splits
``quantitative_analyses``   named analyses with their intervals (validation figures,
                            cross-validation, model selection, checks on other data)
``caveats``                 what a reader must keep in mind (the research-use disclaimer)
==========================  =====================================================================

and, in one shape for every model: ``threshold`` (``{"value", "rule"}`` or ``null``),
``input_contract`` (feature names, units, training ranges as ``{"min", "max", "median"}``),
``published_anchors`` (a list of ``{"model", "metric", "value", "data", "source", "note"}``),
``evaluation`` (exactly the last ``python -m medcore evaluate NAME --json`` output),
``parameters`` (model-specific constants a prediction needs: Breslow baselines, calibration) and
``serving`` (the serving export, ``{"file", "sha256", ...}``, or ``null`` until one is made).

:meth:`ModelCard.from_dict` checks every field: a missing or wrongly typed one raises
:class:`~medcore.errors.ModelFileError` naming the field (``threshold.value``). No TensorFlow.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from medcore.errors import ModelFileError

#: Version of the card layout; a card of another version is refused with the fix.
CARD_FORMAT = 2
#: The figures a classifier's ``evaluate`` reports (``metrics.measures`` of its card).
CLASSIFIER_MEASURES = ("auc", "accuracy", "sensitivity", "specificity", "ppv", "npv", "brier",
                       "ece", "average_precision")


@dataclass(frozen=True)
class Threshold:
    """The operating threshold and the rule that chose it (never the test split)."""

    value: float
    rule: str


@dataclass(frozen=True)
class Range:
    """A numeric input's training range (values outside are flagged, not refused)."""

    min: float
    max: float
    median: float | None = None


@dataclass(frozen=True)
class Anchor:
    """A published (or same-protocol) figure to compare the model with."""

    model: str
    source: str
    metric: str | None = None
    value: float | None = None
    data: str = ""
    note: str = ""


@dataclass(frozen=True)
class ModelDetails:
    """Who the model is: ``version`` is the sha256 of ``file``, checked at every load."""

    name: str
    version: str
    file: str
    summary: str
    seed: int
    training_time_s: float
    architecture: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    custom_objects_module: str | None = None


@dataclass(frozen=True)
class IntendedUse:
    primary_uses: str
    out_of_scope_uses: str


@dataclass(frozen=True)
class Factors:
    """``population``: the patients and setting the model learnt from, in words;
    ``age_years``: the ages it learnt from, where the source states them (a scan of a patient
    outside is flagged); ``source``: who collected the data (the citation a reader checks)."""

    population: str
    age_years: Range | None = None
    source: str = ""


@dataclass(frozen=True)
class Metrics:
    """``measures``: the figures ``evaluation.test`` reports; ``intervals``: how their
    uncertainty is given; ``uncertainty``: how the model shows its own (ensemble spread)."""

    measures: tuple[str, ...]
    intervals: str
    uncertainty: str = ""


@dataclass(frozen=True)
class DataDescription:
    """A data set in words, with its source, licence, citation and splits under ``details``."""

    description: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InputContract:
    """What goes in and comes out; ``training_ranges`` is empty for images."""

    description: str
    output: str
    feature_names: tuple[str, ...] = ()
    units: dict[str, str] = field(default_factory=dict)
    training_ranges: dict[str, Range] = field(default_factory=dict)
    ranges_rule: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ranges(self) -> dict[str, tuple[float, float]]:
        """``{name: (min, max)}``, as :func:`medcore.records.out_of_range` and forms take it."""
        return {name: (r.min, r.max) for name, r in self.training_ranges.items()}

    @property
    def medians(self) -> dict[str, float]:
        """``{name: median}`` of the inputs whose training median is recorded."""
        return {name: r.median for name, r in self.training_ranges.items()
                if r.median is not None}


@dataclass(frozen=True)
class CalibrationGroup:
    """One group of a survival model's calibration at a horizon: mean ``predicted`` survival,
    Kaplan-Meier ``observed`` survival among the ``n`` patients of the group."""

    predicted: float
    observed: float
    n: int


#: The key of a survival model's decile calibration in ``evaluation.test`` (and in each
#: baseline): a list of :class:`CalibrationGroup`, decile 1 = lowest predicted survival.
CALIBRATION_DECILES = "calibration_5y_deciles"


@dataclass(frozen=True)
class Serving:
    """The serving export of the model (issue 12: ``NAME.tflite``), checked like the ``.keras``."""

    file: str
    sha256: str
    runtime: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class ModelCard:
    """One model's card; build it with :meth:`from_dict` (validated), write :meth:`to_dict`."""

    card_format: int
    model_details: ModelDetails
    intended_use: IntendedUse
    factors: Factors
    metrics: Metrics
    evaluation_data: DataDescription
    training_data: DataDescription
    quantitative_analyses: dict[str, Any]
    caveats: str
    input_contract: InputContract
    threshold: Threshold | None = None
    published_anchors: tuple[Anchor, ...] = ()
    evaluation: dict[str, Any] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    serving: Serving | None = None

    @property
    def name(self) -> str:
        return self.model_details.name

    @property
    def calibration_5y_deciles(self) -> tuple[CalibrationGroup, ...]:
        """The evaluated model's 5-year calibration by decile of predicted survival (empty for a
        model whose evaluation has none: classifiers, or a card not yet re-evaluated)."""
        test = (self.evaluation or {}).get("test", {})
        return _deciles(test.get(CALIBRATION_DECILES, []), "evaluation.test", self.name)

    @property
    def sha256(self) -> str:
        """The version: sha256 of the ``.keras`` file."""
        return self.model_details.version

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "the model card") -> ModelCard:
        """A validated card from its JSON form.

        Raises
        ------
        ModelFileError
            A field is missing, unknown, or of the wrong type (the message names it), or the
            ``evaluation`` lacks a key of the ``evaluate --json`` contract.
        """
        if isinstance(data, dict) and data.get("card_format") != CARD_FORMAT:
            raise ModelFileError(
                f"{source} has card_format {data.get('card_format')!r}; expected {CARD_FORMAT} "
                "(the typed card of medcore >= issue 11). Restore the card from git or retrain "
                "the model with `python -m medcore train NAME`.")
        card = _convert(data, cls, "", source)
        if card.evaluation is not None:
            _check_evaluation(card.evaluation, card.name, source)
        return card

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON-ready nested dicts and lists."""
        return _to_plain(self)

    def replace(self, **changes: Any) -> ModelCard:
        """A copy with some sections replaced (validated again)."""
        return ModelCard.from_dict(dataclasses.replace(self, **changes).to_dict(),
                                   source=f"{self.name}.json")


#: Keys every ``evaluation`` holds (the public ``evaluate --json`` contract).
EVALUATION_KEYS: dict[str, type | tuple[type, ...]] = {
    "model": str, "dataset": str, "n_test": int, "test": dict, "baselines": dict}


def _check_evaluation(evaluation: dict[str, Any], name: str, source: str) -> None:
    for key, kind in EVALUATION_KEYS.items():
        if key not in evaluation:
            raise _missing(f"evaluation.{key}", source)
        if not isinstance(evaluation[key], kind) or isinstance(evaluation[key], bool):
            raise _wrong(f"evaluation.{key}", evaluation[key], kind, source)
    if evaluation["model"] != name:
        raise ModelFileError(f"{source} holds the evaluation of {evaluation['model']!r}, not of "
                             f"{name!r} (field evaluation.model). Rerun `python -m medcore "
                             f"evaluate {name}`.")
    _deciles(evaluation["test"].get(CALIBRATION_DECILES, []), "evaluation.test", source)
    for baseline, figures in evaluation["baselines"].items():
        if isinstance(figures, dict):
            _deciles(figures.get(CALIBRATION_DECILES, []), f"evaluation.baselines.{baseline}",
                     source)


def _deciles(value: Any, path: str, source: str) -> tuple[CalibrationGroup, ...]:
    """``value`` checked as a list of ``{"predicted", "observed", "n"}`` (the field named)."""
    return _convert(value, tuple[CalibrationGroup, ...], f"{path}.{CALIBRATION_DECILES}", source)


# --- validation ---------------------------------------------------------------------------------
def _missing(path: str, source: str) -> ModelFileError:
    return ModelFileError(f"{source} lacks the field {path}. Restore the card from git or "
                          "retrain the model with `python -m medcore train NAME`.")


def _wrong(path: str, value: Any, expected: Any, source: str) -> ModelFileError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ModelFileError(f"{source} has {path or 'the card'} = {shown} "
                          f"({type(value).__name__}); expected {_describe(expected)}. Restore "
                          "the card from git or retrain the model with "
                          "`python -m medcore train NAME`.")


def _describe(hint: Any) -> str:
    if isinstance(hint, tuple):
        return " or ".join(_describe(h) for h in hint)
    if dataclasses.is_dataclass(hint):
        return f"an object ({', '.join(f.name for f in dataclasses.fields(hint))})"
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join("null" if a is type(None) else _describe(a)
                           for a in typing.get_args(hint))
    if origin is dict or hint is dict:
        return "an object"
    if origin is tuple:
        return "a list"
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false",
            typing.Any: "any value"}.get(hint, getattr(hint, "__name__", str(hint)))


def _convert(value: Any, hint: Any, path: str, source: str) -> Any:
    """``value`` checked against the annotation ``hint`` and built into it."""
    if hint is typing.Any:
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        for option in options:
            if _shape_fits(value, option):       # a wrong field inside is named by its path
                return _convert(value, option, path, source)
        raise _wrong(path, value, hint, source)
    if dataclasses.is_dataclass(hint):
        return _build(value, hint, path, source)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise _wrong(path, value, hint, source)
        item = args[1] if args else typing.Any
        return {str(k): _convert(v, item, f"{path}.{k}", source) for k, v in value.items()}
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise _wrong(path, value, hint, source)
        return tuple(_convert(v, args[0], f"{path}[{i}]", source) for i, v in enumerate(value))
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _wrong(path, value, hint, source)
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(path, value, hint, source)
        return value
    if not isinstance(value, hint):
        raise _wrong(path, value, hint, source)
    return value


def _shape_fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of the outer kind ``hint`` asks for (object, list, number, text)."""
    origin = typing.get_origin(hint) or hint
    if dataclasses.is_dataclass(hint) or origin is dict:
        return isinstance(value, dict)
    if origin is tuple:
        return isinstance(value, (list, tuple))
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return hint is typing.Any or isinstance(value, origin)


def _build(value: Any, cls: type, path: str, source: str) -> Any:
    if not isinstance(value, dict):
        raise _wrong(path, value, cls, source)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        where = f"{path}." if path else ""
        raise ModelFileError(f"{source} has the unknown field(s) "
                             f"{', '.join(where + k for k in unknown)}; expected only "
                             f"{', '.join(fields)}. Move them to a known section (free-form "
                             "values go under 'details' or 'parameters').")
    kwargs = {}
    for name, spec in fields.items():
        where = f"{path}.{name}" if path else name
        if name not in value:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                raise _missing(where, source)
            continue
        kwargs[name] = _convert(value[name], hints[name], where, source)
    return cls(**kwargs)


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    return value
