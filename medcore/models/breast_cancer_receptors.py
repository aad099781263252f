"""Hormone receptors as pathology reports give them: ER and PgR positive, negative or unknown, or
a value in fmol/l, for ``breast_cancer_deepsurv`` (which learnt from the values).

A status without a value is not turned into a made-up number: the estimate is the **average of the
model's predictions** for this patient with the receptor values of every training patient (the
Rotterdam training split) whose values fall in the stated categories, ER and PgR taken together
(their joint distribution kept). "Positive" means at least :data:`CUTOFF_FMOL_L` fmol/l, the
cut-off of the Rotterdam and GBSG studies; "unknown" averages over all training patients.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from medcore.errors import DataValidationError
from medcore.models import breast_cancer_deepsurv as model
from medcore.serving import ServingModel

#: Positive = at least this many fmol/l (ER and PgR), as in the Rotterdam and GBSG studies.
CUTOFF_FMOL_L = 10.0
VALUE, POSITIVE, NEGATIVE, UNKNOWN = "value", "positive", "negative", "unknown"
STATUSES = (VALUE, POSITIVE, NEGATIVE, UNKNOWN)
RECEPTORS = ("er", "pgr")


def in_status(values: pd.Series, status: str) -> pd.Series:
    """Which ``values`` (fmol/l) fall in ``status``; every value for ``"unknown"`` or ``"value"``.

    Raises
    ------
    DataValidationError
        ``status`` is not one of :data:`STATUSES`.
    """
    if status not in STATUSES:
        raise DataValidationError(f"receptor status {status!r}; expected one of "
                                  f"{', '.join(STATUSES)}.")
    if status == POSITIVE:
        return values >= CUTOFF_FMOL_L
    if status == NEGATIVE:
        return values < CUTOFF_FMOL_L
    return pd.Series(True, index=values.index)


@functools.lru_cache(maxsize=2)
def training_receptors(data=None) -> pd.DataFrame:
    """ER and PgR (fmol/l) of the Rotterdam training split the ensemble learnt from."""
    _, train, _ = model._development(data)
    return train[list(RECEPTORS)].reset_index(drop=True).astype(float)


@dataclass(frozen=True)
class ReceptorRows:
    """The patient's rows to average: one per training patient in the stated categories (one
    row, the patient's own, when both receptors are given as values)."""

    rows: pd.DataFrame
    statuses: dict[str, str]

    @property
    def averaged_over(self) -> int:
        """How many training patients' values the estimate averages over (0: none, values)."""
        return 0 if all(s == VALUE for s in self.statuses.values()) else len(self.rows)


def receptor_rows(patient: pd.DataFrame, statuses: dict[str, str],
                  training: pd.DataFrame | None = None) -> ReceptorRows:
    """``patient`` (one row) repeated with the training patients' ER/PgR values in ``statuses``
    (``{"er": "positive", "pgr": "value"}``; a receptor with ``"value"`` keeps the patient's).

    Raises
    ------
    DataValidationError
        More than one row, an unknown status, or no training patient in the categories.
    """
    if len(patient) != 1:
        raise DataValidationError(f"received {len(patient)} patients; expected one row.")
    statuses = {r: statuses.get(r, VALUE) for r in RECEPTORS}
    if all(s == VALUE for s in statuses.values()):
        return ReceptorRows(patient.reset_index(drop=True), statuses)
    training = training_receptors() if training is None else training
    keep = np.logical_and.reduce([in_status(training[r], s).to_numpy()
                                  for r, s in statuses.items()])
    if not keep.any():
        raise DataValidationError(f"no training patient has ER {statuses['er']} and PgR "
                                  f"{statuses['pgr']}; give a value in fmol/l instead.")
    chosen = training[keep].reset_index(drop=True)
    rows = pd.concat([patient] * len(chosen), ignore_index=True)
    for receptor, status in statuses.items():
        if status != VALUE:
            rows[receptor] = chosen[receptor].to_numpy()
    return ReceptorRows(rows, statuses)


def average(prediction: model.Prediction) -> model.Prediction:
    """The mean over rows of a prediction (curves, band edges and log-risk), as one row."""
    return model.Prediction(prediction.times,
                            *(getattr(prediction, f).mean(axis=0, keepdims=True)
                              for f in ("survival", "lower", "upper")),
                            prediction.log_risk.mean(keepdims=True))


def predict_status(served: ServingModel, rows: ReceptorRows) -> model.Prediction:
    """The patient's prediction averaged over ``rows`` (one row's own prediction for values)."""
    return average(model.predict(served, rows.rows))


def describe(rows: ReceptorRows) -> str:
    """The sentence the page shows under an estimate from a status (empty for two values)."""
    if not rows.averaged_over:
        return ""
    said = [f"{'ER' if r == 'er' else 'PgR'} {s}" for r, s in rows.statuses.items() if s != VALUE]
    return (f"{' and '.join(said)} without a value: this estimate is the average of the model's "
            f"predictions with the receptor values of the {rows.averaged_over} training patients "
            f"(Rotterdam) in that category (positive = {CUTOFF_FMOL_L:g} fmol/l or more).")
