"""A visit history explained the way clinicians read it: per biomarker, its latest value ("now")
and its earlier values (the history), against one fixed reference population.

Why not SHAP over visits x biomarkers. Summing one biomarker's attributions over all visits
mixes what its level is now with how it got there: a bilirubin that rose from 0.3 to 5.4 mg/dl
gets a positive sum (the early normal values push the estimate up, the late high one down), and
the sentence then reads "bilirubin from 0.3 to 5.4 (+14 pp)". And expected gradients compares
each patient with a background aligned to that patient's visits, so "the average" changed from
patient to patient.

What is computed here. Shapley values of a small set of players, by sampling permutations
(Strumbelj & Kononenko 2014) against reference patients:

* for each biomarker (a laboratory value or a clinical sign), ``now``: its value at the latest
  visit, and ``history``: its values at the earlier visits;
* each fixed characteristic (age at the first visit, sex, treatment): one player;
* ``timing``: when the visits were (the visit schedule: times since the first and previous visit).

A mixed history (some players from the patient, the rest from a reference patient) takes the
visit schedule of whichever of the two ``timing`` comes from; a biomarker's latest value from its
``now`` player's source, its earlier values from its ``history`` player's source, read on the
schedule at the same fraction of the follow-up (carried forward, as the model carries
measurements forward). All players from the patient give the patient's own history; none, the
reference patient's. So the values add up exactly::

    output(patient) = reference value + sum of all players' values

where the reference value is the mean output over the reference patients, each from all their
own visits: one number, the same for every patient. The model is only called (any function of a
batch of histories: the served, recalibrated survival the Survival page shows); no gradients, no
TensorFlow.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from medcore.explain.core import Explanation, GlobalExplanation, as_batch, residual_of
from medcore.explain.directions import reference_bands
from medcore.explain.sequence import visit_mask

#: Rows of :attr:`Explanation.attributions` of a visit-history explanation.
PARTS = ("history", "now")


@dataclass(frozen=True)
class Players:
    """The players of the game over one model's inputs (column indices of a visit)."""

    time_columns: tuple[int, ...]
    static_columns: tuple[int, ...]
    biomarker_columns: tuple[int, ...]

    @property
    def count(self) -> int:
        return 1 + len(self.static_columns) + 2 * len(self.biomarker_columns)


class VisitHistoryExplainer:
    """Latest value vs history, per biomarker, against a fixed reference population.

    Parameters
    ----------
    predict : callable
        ``predict(x)`` for a batch of histories ``(n, T, F)`` (padded with ``mask_value``)
        returns the explained output, shape ``(n,)``.
    feature_names : sequence of str
        The per-visit inputs, in input order.
    time_features : sequence of str
        The inputs that say when the visit was (one ``timing`` player); the first is the time
        since the first visit, in years.
    static_features : sequence of str
        Inputs fixed for a patient (age at the first visit, sex, treatment): one player each.
    reference_name : str
        The reference population in words, for the sentence ("the 300 training patients").
    seed : int
        Seed of the permutations (explanations are deterministic).

    Attributes
    ----------
    reference_ : ndarray, shape (n_reference, T, F)
    reference_value_ : float, the mean output over the reference patients.
    """

    kind = "sequence"

    def __init__(self, predict: Callable[[np.ndarray], np.ndarray], *,
                 feature_names: Sequence[str], time_features: Sequence[str],
                 static_features: Sequence[str], model_name: str = "",
                 output_name: str = "model output", output_unit: str = "",
                 reference_name: str = "the reference patients", mask_value: float = 0.0,
                 seed: int = 0) -> None:
        self.predict = predict
        self.feature_names = tuple(feature_names)
        self.time_features = tuple(time_features)
        self.static_features = tuple(static_features)
        self.model_name = model_name
        self.output_name = output_name
        self.output_unit = output_unit
        self.reference_name = reference_name
        self.mask_value = mask_value
        self.seed = seed

    def fit(self, reference: np.ndarray) -> VisitHistoryExplainer:
        """Keep the reference histories ``(n, T, F)`` and their mean output.

        Raises
        ------
        ValueError
            ``reference`` is not ``(n, visits, n_features)``, or a named input is unknown.
        """
        reference = np.asarray(reference, dtype=np.float32)
        if reference.ndim != 3 or reference.shape[2] != len(self.feature_names):
            raise ValueError(f"The reference has shape {reference.shape}; expected (n, visits, "
                             f"{len(self.feature_names)}) padded with {self.mask_value}.")
        unknown = [n for n in self.time_features + self.static_features
                   if n not in self.feature_names]
        if unknown:
            raise ValueError(f"Unknown input(s) {', '.join(unknown)}; expected names among "
                             f"{', '.join(self.feature_names)}.")
        index = {n: i for i, n in enumerate(self.feature_names)}
        fixed = set(self.time_features) | set(self.static_features)
        self.players_ = Players(tuple(index[n] for n in self.time_features),
                                tuple(index[n] for n in self.static_features),
                                tuple(i for n, i in index.items() if n not in fixed))
        self.reference_ = reference
        self.reference_outputs_ = np.asarray(self.predict(reference), dtype=float)
        self.reference_value_ = float(self.reference_outputs_.mean())
        latest = np.stack([_rows(r, self.mask_value)[-1] for r in reference])
        earlier = np.stack([_earlier(_rows(r, self.mask_value)).mean(axis=0) for r in reference])
        self.reference_latest_ = reference_bands(latest)
        self.reference_earlier_ = reference_bands(earlier)
        signs = self.reference_latest_[0] == self.reference_latest_[1]     # two levels: shares
        self.reference_earlier_[:, signs] = np.nanmean(earlier[:, signs], axis=0)
        self.method_label_ = ("Shapley values (permutation sampling) of the latest value and "
                              "the history of each biomarker, one permutation per reference "
                              f"patient ({len(reference)}; antithetic pairs); additive exactly")
        return self

    def explain(self, sequence: np.ndarray) -> Explanation:
        """Explain one history ``(visits, n_features)`` (or ``(1, visits, n_features)``).

        Returns
        -------
        Explanation
            ``kind="sequence"``; ``attributions`` of shape ``(2, n_features)``: row 0 the
            earlier visits (history), row 1 the latest visit (now; the fixed characteristics
            and the ``timing`` player, put on the first time input, are in this row too).
            ``base_value`` is the reference value; ``extras`` holds ``parts``,
            ``visit_mask``, ``visit_years``, ``reference_latest`` and ``reference_earlier``
            (the reference's typical ranges, shape (2, F)), ``reference_name`` and
            ``reference_size``.

        Raises
        ------
        ValueError
            The history's width differs from the reference's, or it has no visit.
        """
        x = as_batch(sequence, 2, "visit history (visits, features)")[0]
        if x.shape[1] != len(self.feature_names):
            raise ValueError(f"The history has {x.shape[1]} inputs per visit, expected "
                             f"{len(self.feature_names)} ({', '.join(self.feature_names)}).")
        rows = _rows(x, self.mask_value)
        if len(rows) == 0:
            raise ValueError("The history has no visit (every row is padding); pass at least "
                             "one visit.")
        values = self._shapley(rows)
        length = max(len(rows), self.reference_.shape[1])
        output = float(np.asarray(self.predict(_pad(rows[None], length, self.mask_value)))[0])
        attributions = np.zeros((2, len(self.feature_names)))
        p = self.players_
        attributions[1, p.time_columns[0]] = values[0]
        for k, j in enumerate(p.static_columns):
            attributions[1, j] = values[1 + k]
        start = 1 + len(p.static_columns)
        for k, j in enumerate(p.biomarker_columns):
            attributions[1, j] = values[start + 2 * k]
            attributions[0, j] = values[start + 2 * k + 1]
        present = visit_mask(x, self.mask_value)
        time_index = p.time_columns[0]
        return Explanation(
            attributions=attributions, base_value=self.reference_value_, output=output,
            feature_names=self.feature_names, values=x.astype(np.float64),
            method=self.method_label_, kind="sequence", model_name=self.model_name,
            output_name=self.output_name, output_unit=self.output_unit,
            residual=residual_of(output, self.reference_value_, attributions),
            extras={"parts": PARTS, "visit_mask": present,
                    "visit_years": x[:, time_index].astype(float),
                    "reference_latest": self.reference_latest_,
                    "reference_earlier": self.reference_earlier_,
                    "reference_name": self.reference_name,
                    "reference_size": len(self.reference_),
                    "static_features": self.static_features,
                    "time_features": self.time_features})

    def explain_global(self, sequences: np.ndarray) -> GlobalExplanation:
        """Explain many histories; one column per player: each biomarker's latest value
        (``"NAME (latest visit)"``) and earlier values (``"NAME (earlier visits)"``), each fixed
        characteristic, and the follow-up. ``values``: the latest value, the mean of the earlier
        values, the years of follow-up."""
        explanations = [self.explain(s) for s in as_batch(sequences, 2, "visit history")]
        columns = self.global_columns()
        attributions = np.array([[e.attributions[part, j] for _, part, j in columns]
                                 for e in explanations])
        values = np.array([[_global_value(e, part, j, self.mask_value) for _, part, j in columns]
                           for e in explanations])
        return GlobalExplanation(
            attributions=attributions, values=values,
            outputs=np.array([e.output for e in explanations]),
            base_value=self.reference_value_, feature_names=tuple(n for n, _, _ in columns),
            method=self.method_label_, model_name=self.model_name,
            output_name=self.output_name, output_unit=self.output_unit)

    def global_columns(self) -> list[tuple[str, int, int]]:
        """``(column name, row of the attributions, input index)`` of each player."""
        p = self.players_
        time_index = p.time_columns[0]
        columns = [(self.feature_names[time_index], 1, time_index)]
        columns += [(self.feature_names[j], 1, j) for j in p.static_columns]
        for j in p.biomarker_columns:
            columns += [(f"{self.feature_names[j]} (latest visit)", 1, j),
                        (f"{self.feature_names[j]} (earlier visits)", 0, j)]
        return columns

    # -- the game -------------------------------------------------------------------------

    def _shapley(self, rows: np.ndarray) -> np.ndarray:
        """Player values, shape ``(players,)``: the mean marginal contributions along one
        permutation per reference patient (consecutive patients take a permutation and its
        reverse: antithetic pairs)."""
        n_players = self.players_.count
        rng = np.random.default_rng(self.seed)
        total = np.zeros(n_players)
        order = rng.permutation(n_players)
        for i, reference in enumerate(self.reference_):
            if i % 2 == 0:
                order = rng.permutation(n_players)
            permutation = order if i % 2 == 0 else order[::-1]
            outputs = self._path(rows, _rows(reference, self.mask_value), permutation)
            total[permutation] += np.diff(outputs)
        return total / len(self.reference_)

    def _path(self, patient: np.ndarray, other: np.ndarray,
              permutation: np.ndarray) -> np.ndarray:
        """The outputs along one permutation: no player from the patient, then one more each
        step, shape ``(players + 1,)``."""
        n_players = self.players_.count
        chosen = np.zeros((n_players + 1, n_players), dtype=bool)
        for step, player in enumerate(permutation, start=1):
            chosen[step:, player] = True
        length = max(len(patient), len(other), self.reference_.shape[1])
        batch = np.full((n_players + 1, length, patient.shape[1]), self.mask_value,
                        dtype=np.float32)
        for own_schedule in (False, True):
            steps = chosen[:, 0] == own_schedule
            if steps.any():
                batch[steps] = self._mixed(patient, other, own_schedule, chosen[steps], length)
        return np.asarray(self.predict(batch), dtype=float)

    def _mixed(self, patient: np.ndarray, other: np.ndarray, own_schedule: bool,
               chosen: np.ndarray, length: int) -> np.ndarray:
        """The histories whose players in each row of ``chosen`` come from the patient, the
        rest from the reference patient, on the patient's visit schedule (``own_schedule``) or
        the reference patient's; shape ``(len(chosen), length, F)``."""
        p = self.players_
        schedule = patient if own_schedule else other
        visits = len(schedule)
        fraction = _fractions(schedule, p.time_columns[0])
        mine = self._on_schedule(patient, schedule, fraction, length)
        theirs = self._on_schedule(other, schedule, fraction, length)
        take = np.zeros((len(chosen), length, patient.shape[1]), dtype=bool)
        statics = list(p.static_columns)
        take[:, :, statics] = chosen[:, None, 1:1 + len(statics)]
        start = 1 + len(statics)
        biomarkers = list(p.biomarker_columns)
        take[:, visits - 1, biomarkers] = chosen[:, start::2][:, :len(biomarkers)]
        if visits > 1:
            take[:, :visits - 1, biomarkers] = chosen[:, None, start + 1::2][..., :len(biomarkers)]
        return np.where(take, mine[None], theirs[None])

    def _on_schedule(self, source: np.ndarray, schedule: np.ndarray, fraction: np.ndarray,
                     length: int) -> np.ndarray:
        """``source``'s inputs on ``schedule``'s visits: its times from the schedule, its fixed
        characteristics at every visit, its latest values at the last visit, its earlier values
        read at the same fraction of the follow-up (carried forward), padded to ``length``."""
        visits = len(schedule)
        out = np.full((length, source.shape[1]), self.mask_value, dtype=np.float32)
        out[:visits] = source[0]
        out[visits - 1] = source[-1]
        if visits > 1:
            earlier = _earlier(source)
            own = (_fractions(source, self.players_.time_columns[0])[:len(earlier)]
                   if len(source) > 1 else np.zeros(1))
            index = np.clip(np.searchsorted(own, fraction[:-1], side="right") - 1, 0,
                            len(earlier) - 1)
            out[:visits - 1] = earlier[index]
        times = list(self.players_.time_columns)
        out[:visits, times] = schedule[:, times]
        statics = list(self.players_.static_columns)
        out[:visits, statics] = source[0, statics]
        return out


def _global_value(e: Explanation, part: int, j: int, mask_value: float) -> float:
    rows = _rows(e.values, mask_value)
    return float(rows[-1, j] if part == 1 else _earlier(rows)[:, j].mean())


def _rows(x: np.ndarray, mask_value: float) -> np.ndarray:
    """The real visits of one padded history, shape ``(visits, F)``."""
    return np.asarray(x)[visit_mask(x, mask_value)]


def _earlier(rows: np.ndarray) -> np.ndarray:
    """The earlier visits (all but the latest); the only visit when there is one."""
    return rows[:-1] if len(rows) > 1 else rows


def _fractions(rows: np.ndarray, time_column: int) -> np.ndarray:
    """Each visit's time as a fraction of the follow-up (0 at the first visit, 1 at the last)."""
    times = rows[:, time_column].astype(float)
    span = times[-1] - times[0]
    return (times - times[0]) / span if span > 0 else np.zeros(len(times))


def _pad(x: np.ndarray, length: int, mask_value: float) -> np.ndarray:
    out = np.full((x.shape[0], length, x.shape[2]), mask_value, dtype=np.float32)
    out[:, :x.shape[1]] = x
    return out
