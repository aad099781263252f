"""Medicine as a check: do the explanation's sentences, and the model itself, agree with the
directions every clinician knows?

Each model's spec lists the directions that are well established for its population
(:attr:`medcore.registry.ModelSpec.known_directions`: higher bilirubin is worse, more positive
nodes are worse, ...). Two checks read that list:

* :func:`contradictions` - over the :class:`Claim` items a sentence names ("serum bilirubin now
  5.4 mg/dl ... lowers the estimate by 14 pp"): an item whose value is on the worse side of its
  reference but is credited with a better outcome (or the reverse) is reported with its words.
  A clinician would read such a sentence as "rising bilirubin improved survival".
* :func:`learnt_directions` - a partial-dependence sweep of the model itself (not of its SHAP
  values): each listed input is set to values from its low to its high end in every reference
  patient, everything else kept, and the mean output read. Where the output moves the wrong way,
  the model has learnt the wrong direction, and the page says so for that input.

No TensorFlow here: the model is a function ``predict(x) -> (n,)`` of the explained output.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from medcore.registry import ExplainTarget, KnownDirection, ModelSpec

#: A partial-dependence change smaller than this (output units: 0.01 = 1 percentage point of a
#: probability) is "no clear direction", neither agreeing nor contradicting.
FLAT = 0.01
#: A claimed change smaller than this (output units; 0.005 = half a percentage point) is too
#: small to credit either way and is not checked (the visit-history values are estimates).
MIN_EFFECT = 0.005
#: Points of the sweep between the low and high end of an input.
GRID_POINTS = 9
#: The sweep runs over the reference patients' values between these percentiles (the bulk of the
#: population, not its outliers).
SWEEP_PERCENTILES = (5.0, 95.0)


@dataclass(frozen=True)
class Claim:
    """One item a sentence names: an input's value and the change in the output credited to it.

    Attributes
    ----------
    feature : the model input's name (``"bili"``).
    text : the item in words, as the sentence and the chart show it.
    value_side : +1 when the stated value is above the reference population's typical range (a
        sign present), -1 below (a sign absent), 0 typical or unknown (:func:`side_of`).
    effect : the change in the output credited to the item, in output units.
    part : ``"value"`` (a tabular input), ``"now"`` (the latest visit's value), ``"history"``
        (the earlier visits' values), ``"timing"`` (when the visits were).
    """

    feature: str
    text: str
    value_side: int
    effect: float
    part: str = "value"


@dataclass(frozen=True)
class Contradiction:
    """A claim that credits a known-worse value with a better outcome (or the reverse)."""

    claim: Claim
    known: KnownDirection
    credited_better: bool

    def __str__(self) -> str:
        towards = "better" if self.credited_better else "worse"
        return (f"{self.claim.text!r} is credited with a {towards} outcome "
                f"({self.claim.effect:+.3f}), but {self.known.reason}")


#: A value is on a side of the reference population when it is outside these percentiles of it
#: (a typical value, inside, is neither "high" nor "low" and is not checked).
TYPICAL_PERCENTILES = (25.0, 75.0)


def reference_bands(values: np.ndarray) -> np.ndarray:
    """Each input's typical range over reference patients ``(n, F)``, shape ``(2, F)``: the
    :data:`TYPICAL_PERCENTILES` of a measured value; for a sign or an input with two levels, the
    share present twice (an absent sign is then below it, a present one above)."""
    values = np.asarray(values, dtype=float)
    bands = np.nanpercentile(values, TYPICAL_PERCENTILES, axis=0)
    for j in range(values.shape[1]):
        column = values[:, j]
        if np.unique(column[np.isfinite(column)]).size <= 2:
            bands[:, j] = np.nanmean(column)
    return bands


def side_of(value: float, band: np.ndarray | None) -> int:
    """+1 above the typical range ``band`` (low, high), -1 below, 0 inside or unknown."""
    if band is None or not np.isfinite(value) or not np.all(np.isfinite(band)):
        return 0
    return 1 if value > band[1] + 1e-9 else -1 if value < band[0] - 1e-9 else 0


def value_is_worse(known: KnownDirection, value_side: int) -> bool:
    """Whether a value on ``value_side`` (+1 above, -1 below its reference) is the worse side."""
    return (value_side > 0) == known.higher_is_worse


def contradictions(spec: ModelSpec, target: ExplainTarget,
                   claims: Sequence[Claim]) -> list[Contradiction]:
    """The claims whose credited change goes against the input's known direction.

    A claim is checked when its input has a known direction, its value is outside the
    reference's typical range (``value_side != 0``) and its effect is at least
    :data:`MIN_EFFECT` (in probability units; ten times that for log-risk or log-odds);
    ``target`` says whether a higher output is better (``higher_is_better``).
    """
    floor = MIN_EFFECT * (1 if target.output_unit in ("probability", "survival probability")
                          else 10)
    found = []
    for claim in claims:
        known = spec.known_direction(claim.feature)
        if known is None or claim.value_side == 0 or abs(claim.effect) < floor:
            continue
        worse_value = value_is_worse(known, claim.value_side)
        worse_effect = (claim.effect > 0) != target.higher_is_better
        if worse_value != worse_effect:
            found.append(Contradiction(claim, known, credited_better=not worse_effect))
    return found


@dataclass(frozen=True)
class LearntDirection:
    """What the model does to its output when one input is swept from low to high.

    Attributes
    ----------
    known : the known direction of the input.
    grid : ndarray, shape (k,), the input's values swept (low to high).
    curve : ndarray, shape (k,), the mean output over the reference patients at each value.
    change : float, ``curve[-1] - curve[0]`` (output units).
    verdict : ``"agrees"``, ``"opposite"`` (the model learnt the wrong direction) or ``"flat"``
        (less than :data:`FLAT` either way).
    """

    known: KnownDirection
    grid: np.ndarray
    curve: np.ndarray
    change: float
    verdict: str

    @property
    def feature(self) -> str:
        return self.known.feature


def sweep_grid(values: np.ndarray) -> np.ndarray:
    """The values an input is swept over: its distinct values when it has a few (a sign, a
    grade), else :data:`GRID_POINTS` points between the :data:`SWEEP_PERCENTILES`."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    distinct = np.unique(values)
    if distinct.size <= GRID_POINTS:
        return distinct
    low, high = np.percentile(values, SWEEP_PERCENTILES)
    return np.linspace(low, high, GRID_POINTS)


def partial_dependence(predict: Callable[[np.ndarray], np.ndarray], reference: np.ndarray,
                       set_value: Callable[[np.ndarray, float], np.ndarray],
                       grid: np.ndarray) -> np.ndarray:
    """Mean ``predict`` over the ``reference`` inputs with one input set to each grid value.

    ``set_value(reference, v)`` returns a copy of the reference inputs with the input set to
    ``v`` (a column of a table; a biomarker at every visit of a history). Returns an ndarray of
    shape ``(len(grid),)``.
    """
    batch = np.concatenate([set_value(reference, float(v)) for v in grid])
    outputs = np.asarray(predict(batch), dtype=float).reshape(len(grid), len(reference))
    return outputs.mean(axis=1)


def learnt_directions(spec: ModelSpec, target: ExplainTarget,
                      predict: Callable[[np.ndarray], np.ndarray], reference: np.ndarray,
                      feature_names: Sequence[str], *,
                      values_of: Callable[[np.ndarray, int], np.ndarray] | None = None,
                      set_value: Callable[[np.ndarray, int, float], np.ndarray] | None = None,
                      ) -> list[LearntDirection]:
    """A partial-dependence sweep of every input with a known direction.

    Parameters
    ----------
    predict : the explained output of a batch of inputs, shape ``(n,)``.
    reference : the reference patients' inputs (tabular ``(n, F)``; histories ``(n, T, F)``).
    feature_names : the model's input names, in input order.
    values_of, set_value : how to read input ``j``'s observed values and set it to ``v``; default
        a table's column ``j``.

    Returns
    -------
    list of LearntDirection, in the spec's order (inputs the model does not take are skipped).
    """
    values_of = values_of or (lambda x, j: x[:, j])
    set_value = set_value or _set_column
    found = []
    for known in spec.known_directions:
        if known.feature not in feature_names:
            continue
        j = list(feature_names).index(known.feature)
        grid = sweep_grid(values_of(reference, j))
        if grid.size < 2:
            continue
        curve = partial_dependence(predict, reference,
                                   lambda x, v, j=j: set_value(x, j, v), grid)
        change = float(curve[-1] - curve[0])
        worse_output = (change > 0) != target.higher_is_better
        verdict = ("flat" if abs(change) < _flat(target) else
                   "agrees" if worse_output == known.higher_is_worse else "opposite")
        found.append(LearntDirection(known, grid, curve, change, verdict))
    return found


def _flat(target: ExplainTarget) -> float:
    return FLAT if target.output_unit in ("probability", "survival probability") else 0.05


def _set_column(x: np.ndarray, j: int, value: float) -> np.ndarray:
    out = np.array(x, copy=True)
    out[:, j] = value
    return out
