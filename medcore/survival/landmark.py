"""Landmark data sets and the landmark evaluation protocol for dynamic survival (PBC).

At a landmark ``L`` (years since the first visit) the patients still at risk (``futime > L``)
are predicted from their visits up to ``L`` only; the outcome is death within the window
``(L, L + horizon]``, times counted from ``L`` and truncated at the horizon. Every predictor is
scored per landmark by Harrell's concordance on the truncated times (lifelines) and the IPCW Brier
score at the horizon (scikit-survival, censoring distribution from the training fold), then
averaged over landmarks. Calibration of the predicted survival to the end of the window is
checked on the pooled out-of-fold predictions of each repeat (every patient at risk predicted
once per landmark): mean predicted vs Kaplan-Meier observed survival by quintile of predicted
risk (:func:`medcore.survival.metrics.calibration_at`), plus the share of near-zero predictions
and what was observed among them. Cross-validation splits **patients** (stratified by death) into folds,
repeated with different seeds; all predictors see the same folds in the same run.

Predictors have ``fit(train_visits, seed) -> self`` and ``predict(landmark_set) -> (risk,
survival_at_horizon)``; two Cox baselines live here: :class:`LandmarkCoxPH` (a Cox model on the
last observation carried forward, fitted per landmark) and :class:`StaticCoxPH` (a Cox model on the
first visit).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from medcore.datasets.pbc import DAYS_PER_YEAR, LOG_FEATURES, VISIT_COLUMNS
from medcore.survival.metrics import (brier_at, calibration_at, calibration_deciles, harrell_c,
                                      kaplan_meier)

LANDMARKS_YEARS = (1.0, 2.0, 3.0, 4.0, 5.0)
HORIZON_YEARS = 5.0
#: Risk groups of the calibration check (quintiles of predicted survival).
CALIBRATION_GROUPS = 5
#: Predicted window survival below this counts as "near zero" (over-confidence check).
NEAR_ZERO_SURVIVAL = 0.01


@dataclass(frozen=True)
class CrossValidation:
    """Output of :func:`cross_validate`.

    scores : DataFrame, one row per (repeat, fold, landmark, model): ``c_index``, ``brier``,
        ``n_at_risk``, ``deaths_in_window``.
    predictions : DataFrame, one row per (repeat, landmark, model, patient at risk) from the
        fold that held the patient out: ``fold``, ``survival`` (predicted to the end of the
        window), ``time``, ``event`` (truncated at the horizon), ``residual_time``,
        ``residual_event`` (not truncated).
    """

    scores: pd.DataFrame
    predictions: pd.DataFrame


@dataclass(frozen=True)
class LandmarkSet:
    """Patients at risk at a landmark and their outcome in the window after it.

    landmark, horizon : years.
    ids : ndarray, shape (n,), patients at risk (futime > landmark), sorted.
    visits : DataFrame, their visits with ``day <= landmark`` (all columns kept).
    elapsed : ndarray, shape (n,), years from each patient's last visit to the landmark.
    time, event : ndarray, shape (n,), years from the landmark to death or censoring,
        truncated at ``horizon`` (event = death within the window).
    residual_time, residual_event : ndarray, shape (n,), the same without truncation.
    """

    landmark: float
    horizon: float
    ids: np.ndarray
    visits: pd.DataFrame
    elapsed: np.ndarray
    time: np.ndarray
    event: np.ndarray
    residual_time: np.ndarray
    residual_event: np.ndarray


def build_landmark_set(visits: pd.DataFrame, landmark: float,
                       horizon: float = HORIZON_YEARS) -> LandmarkSet:
    """Patients at risk at ``landmark`` years, with visits up to it and the windowed outcome.

    Parameters
    ----------
    visits : DataFrame
        Visits with ``id``, ``day`` (days), ``futime`` (days) and ``event`` (1 = death).
    landmark, horizon : float
        Years.

    Raises
    ------
    ValueError
        ``landmark`` is negative or ``horizon`` is not positive.
    """
    if landmark < 0 or horizon <= 0:
        raise ValueError(f"landmark={landmark}, horizon={horizon}; expected landmark >= 0 and "
                         "horizon > 0 (years).")
    cut = landmark * DAYS_PER_YEAR
    at_risk = visits[(visits["futime"] > cut) & (visits["day"] <= cut)]
    at_risk = at_risk.sort_values(["id", "day"], kind="stable").reset_index(drop=True)
    per_patient = at_risk.groupby("id", sort=True).agg(
        futime=("futime", "first"), event=("event", "first"), last_day=("day", "max"))
    residual = (per_patient["futime"].to_numpy(dtype=float) - cut) / DAYS_PER_YEAR
    residual_event = per_patient["event"].to_numpy(dtype=int)
    in_window = residual <= horizon
    return LandmarkSet(
        landmark=float(landmark), horizon=float(horizon), ids=per_patient.index.to_numpy(),
        visits=at_risk,
        elapsed=(cut - per_patient["last_day"].to_numpy(dtype=float)) / DAYS_PER_YEAR,
        time=np.minimum(residual, horizon), event=(residual_event * in_window).astype(int),
        residual_time=residual, residual_event=residual_event)


def last_observation(landmark_set: LandmarkSet) -> pd.DataFrame:
    """One row per patient: each column's last non-missing value up to the landmark."""
    return (landmark_set.visits.groupby("id", sort=True).last()
            .reindex(landmark_set.ids))


# --- metrics -------------------------------------------------------------------------------------

def window_concordance(landmark_set: LandmarkSet, risk: np.ndarray) -> float:
    """Harrell's C of ``risk`` against death in the window (times truncated at the horizon)."""
    if landmark_set.event.sum() == 0:
        return float("nan")
    return harrell_c(landmark_set.time, landmark_set.event, risk)


def horizon_brier(train_set: LandmarkSet, test_set: LandmarkSet,
                  survival_at_horizon: np.ndarray) -> float:
    """IPCW Brier score at the horizon (censoring estimated on the training landmark set)."""
    try:
        return brier_at(test_set.residual_time, test_set.residual_event, survival_at_horizon,
                        test_set.horizon, censoring_time=train_set.residual_time,
                        censoring_event=train_set.residual_event)
    except ValueError:  # horizon outside the test follow-up, or censoring survival zero
        return float("nan")


# --- Cox baselines -------------------------------------------------------------------------------

def _cox_matrix(frame: pd.DataFrame, medians: pd.Series | None = None
                ) -> tuple[pd.DataFrame, pd.Series]:
    """Covariates of the network (no time channels): sex coded, logs taken, medians filled."""
    x = frame.reindex(columns=list(VISIT_COLUMNS)).copy()
    if x["sex"].dtype == object:
        x["sex"] = (x["sex"].astype(str).str.lower() == "m").astype(float)
    x = x.astype(float)
    for column in LOG_FEATURES:
        x[column] = np.log(np.maximum(x[column], 1e-3))
    if medians is None:
        medians = x.median()
    return x.fillna(medians), medians


class LandmarkCoxPH:
    """Cox PH per landmark on the last observation carried forward (lifelines).

    Fitted on the training patients at risk at each landmark, outcome truncated at the horizon.
    """

    def __init__(self, landmarks=LANDMARKS_YEARS, horizon: float = HORIZON_YEARS,
                 penalizer: float = 0.01):
        self.landmarks = tuple(landmarks)
        self.horizon = horizon
        self.penalizer = penalizer

    def fit(self, visits: pd.DataFrame, seed: int = 0) -> "LandmarkCoxPH":
        from lifelines import CoxPHFitter

        self.models_ = {}
        for landmark in self.landmarks:
            ls = build_landmark_set(visits, landmark, self.horizon)
            x, medians = _cox_matrix(last_observation(ls))
            x = x.assign(time=ls.time, event=ls.event)
            fitter = CoxPHFitter(penalizer=self.penalizer).fit(x, "time", "event")
            self.models_[landmark] = (fitter, medians)
        return self

    def predict(self, landmark_set: LandmarkSet) -> tuple[np.ndarray, np.ndarray]:
        fitter, medians = self.models_[landmark_set.landmark]
        x, _ = _cox_matrix(last_observation(landmark_set), medians)
        risk = fitter.predict_partial_hazard(x).to_numpy()
        survival = fitter.predict_survival_function(x, times=[landmark_set.horizon])
        return risk, survival.to_numpy()[0]


class StaticCoxPH:
    """Cox PH on the first visit only (time from the first visit), one fit for all landmarks.

    At a landmark it gives ``S(L + horizon) / S(L)`` from the first-visit covariates.
    """

    def __init__(self, penalizer: float = 0.01):
        self.penalizer = penalizer

    def fit(self, visits: pd.DataFrame, seed: int = 0) -> "StaticCoxPH":
        from lifelines import CoxPHFitter

        first = visits.sort_values(["id", "day"]).groupby("id", sort=True).first()
        x, self.medians_ = _cox_matrix(first)
        x = x.assign(time=first["futime"].to_numpy(dtype=float) / DAYS_PER_YEAR,
                     event=first["event"].to_numpy(dtype=int))
        self.fitter_ = CoxPHFitter(penalizer=self.penalizer).fit(x, "time", "event")
        return self

    def predict(self, landmark_set: LandmarkSet) -> tuple[np.ndarray, np.ndarray]:
        first = (landmark_set.visits.groupby("id", sort=True).first()
                 .reindex(landmark_set.ids))
        x, _ = _cox_matrix(first, self.medians_)
        risk = self.fitter_.predict_partial_hazard(x).to_numpy()
        start, end = landmark_set.landmark, landmark_set.landmark + landmark_set.horizon
        survival = self.fitter_.predict_survival_function(x, times=[start, end]).to_numpy()
        return risk, survival[1] / np.maximum(survival[0], 1e-12)


# --- protocol ------------------------------------------------------------------------------------

def patient_folds(visits: pd.DataFrame, folds: int = 5, seed: int = 0
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Patient-level stratified (by death) folds: list of (train ids, test ids)."""
    from sklearn.model_selection import StratifiedKFold

    per_patient = visits.groupby("id", sort=True)["event"].first()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    ids = per_patient.index.to_numpy()
    return [(ids[tr], ids[te]) for tr, te in splitter.split(ids, per_patient.to_numpy())]


def cross_validate(visits: pd.DataFrame, predictors: dict[str, Any], *, folds: int = 5,
                   repeats: int = 2, landmarks=LANDMARKS_YEARS, horizon: float = HORIZON_YEARS,
                   seed: int = 0, progress: bool = False) -> CrossValidation:
    """Fit and score every predictor on the same patient folds (folds seeded ``seed + repeat``).

    Returns
    -------
    CrossValidation
        Scores per (repeat, fold, landmark, model) and the out-of-fold predictions.
    """
    from tqdm.auto import tqdm

    rows, predictions = [], []
    steps = tqdm(total=folds * repeats, desc="landmark CV (folds)", disable=not progress)
    for repeat in range(repeats):
        for fold, (train_ids, test_ids) in enumerate(patient_folds(visits, folds, seed + repeat)):
            train = visits[visits["id"].isin(train_ids)]
            test = visits[visits["id"].isin(test_ids)]
            fitted = {name: p.fit(train, seed=seed + 100 * repeat + fold)
                      for name, p in predictors.items()}
            for landmark in landmarks:
                train_set = build_landmark_set(train, landmark, horizon)
                test_set = build_landmark_set(test, landmark, horizon)
                for name, predictor in fitted.items():
                    risk, survival = predictor.predict(test_set)
                    rows.append({"repeat": repeat, "fold": fold, "landmark": landmark,
                                 "model": name, "c_index": window_concordance(test_set, risk),
                                 "brier": horizon_brier(train_set, test_set, survival),
                                 "n_at_risk": len(test_set.ids),
                                 "deaths_in_window": int(test_set.event.sum())})
                    predictions.append(pd.DataFrame({
                        "repeat": repeat, "fold": fold, "landmark": landmark, "model": name,
                        "id": test_set.ids, "survival": np.asarray(survival, dtype=float),
                        "time": test_set.time, "event": test_set.event,
                        "residual_time": test_set.residual_time,
                        "residual_event": test_set.residual_event}))
            steps.update(1)
    steps.close()
    return CrossValidation(pd.DataFrame(rows), pd.concat(predictions, ignore_index=True))


def window_calibration(predictions: pd.DataFrame, *, num_groups: int = CALIBRATION_GROUPS,
                       horizon: float = HORIZON_YEARS) -> dict[str, Any]:
    """Calibration of one model's out-of-fold window survival, per landmark.

    Parameters
    ----------
    predictions : DataFrame
        One model's rows of :attr:`CrossValidation.predictions`.

    Returns
    -------
    dict
        ``"mean_abs_diff"``: size-weighted mean |predicted - observed| over the risk groups,
        averaged over repeats and landmarks; ``"mean_abs_diff_sd_repeats"``;
        ``"per_landmark"``: ``{"1y": {"mean_abs_diff", "groups": [{"group", "n", "predicted",
        "observed"}, ...]}}`` (group 1 = highest risk; means over repeats); ``"near_zero"``:
        share of predictions below ``NEAR_ZERO_SURVIVAL``, their number per repeat, and the
        Kaplan-Meier survival to the end of the window observed among them;
        ``"predicted_quantiles"``: 0, 1, 5, 50 % quantiles of the predicted survival.
    """
    gaps, per_landmark = [], {}
    for landmark, at_landmark in predictions.groupby("landmark"):
        tables = [calibration_at(part["time"], part["event"], part["survival"], horizon,
                                 num_groups=num_groups)
                  for _, part in at_landmark.groupby("repeat")]
        gaps.append([t["mean_absolute_difference"] for t in tables])
        groups = [{"group": g["group"], "n": g["n"],
                   **{k: round(float(np.mean([t["groups"][i][k] for t in tables])), 4)
                      for k in ("predicted", "observed")}}
                  for i, g in enumerate(tables[0]["groups"])]
        per_landmark[f"{landmark:g}y"] = {
            "mean_abs_diff": round(float(np.mean(gaps[-1])), 4), "groups": groups}
    by_repeat = np.mean(np.array(gaps), axis=0)
    near = predictions[predictions["survival"] < NEAR_ZERO_SURVIVAL]
    observed = (kaplan_meier(near["time"], near["event"], [horizon])["survival"][0]
                if len(near) else float("nan"))
    repeats = predictions["repeat"].nunique()
    return {
        "mean_abs_diff": round(float(by_repeat.mean()), 4),
        "mean_abs_diff_sd_repeats": round(float(by_repeat.std(ddof=1)), 4) if repeats > 1
        else float("nan"),
        "near_zero": {"threshold": NEAR_ZERO_SURVIVAL,
                      "share": round(float(len(near) / len(predictions)), 4),
                      "n_per_repeat": round(len(near) / repeats, 1),
                      "observed_survival_km": round(float(observed), 4)},
        "predicted_quantiles": {f"q{q:g}": float(f"{np.quantile(predictions['survival'], q / 100):.3g}")
                                for q in (0, 1, 5, 50)},
        "per_landmark": per_landmark,
    }


def window_deciles(predictions: pd.DataFrame, *,
                   horizon: float = HORIZON_YEARS) -> list[dict[str, float]]:
    """Deciles of one model's out-of-fold window survival, all landmarks pooled, per repeat, then
    averaged over repeats: ``[{"predicted", "observed" (Kaplan-Meier), "n" (per repeat)}]``,
    decile 1 = lowest predicted survival."""
    tables = [calibration_deciles(part["time"], part["event"], part["survival"], horizon)
              for _, part in predictions.groupby("repeat")]
    return [{"predicted": round(float(np.mean([t[i]["predicted"] for t in tables])), 4),
             "observed": round(float(np.mean([t[i]["observed"] for t in tables])), 4),
             "n": int(round(np.mean([t[i]["n"] for t in tables])))}
            for i in range(len(tables[0]))]


def cross_fitted_recalibration(result: CrossValidation, model: str, *, name: str,
                               horizon: float = HORIZON_YEARS) -> CrossValidation:
    """``result`` with one more model, ``name``: ``model``'s out-of-fold predictions recalibrated.

    The predictions of fold ``k`` (repeat ``r``) are mapped by a logit recalibration
    (:func:`medcore.survival.recalibration.fit_logit_recalibration`) fitted on the out-of-fold
    predictions of the **other** folds of repeat ``r`` (all landmarks pooled): fold ``k``'s
    predictions and outcomes never enter its own map. (The networks that made the other folds'
    predictions were trained on folds that include ``k``, as in any cross-fitting without a nested
    loop; a nested loop would retrain the network 4 times more.) Scores are recomputed per
    (repeat, fold, landmark) as :func:`cross_validate` does; the training landmark set's censoring
    for the Brier score is the other folds' patients at risk at that landmark.
    """
    from medcore.survival.recalibration import fit_logit_recalibration

    predictions = result.predictions
    source = predictions[predictions["model"] == model]
    rows, added = [], []
    for (repeat, fold), part in source.groupby(["repeat", "fold"], sort=True):
        others = source[(source["repeat"] == repeat) & (source["fold"] != fold)]
        recalibration = fit_logit_recalibration(others["survival"], others["time"],
                                                others["event"], horizon)
        calibrated = part.assign(model=name,
                                 survival=recalibration.apply(part["survival"].to_numpy()))
        added.append(calibrated)
        for landmark, at in calibrated.groupby("landmark", sort=True):
            train = others[others["landmark"] == landmark]
            time, event = at["time"].to_numpy(), at["event"].to_numpy()
            try:
                brier = brier_at(at["residual_time"], at["residual_event"], at["survival"],
                                 horizon, censoring_time=train["residual_time"],
                                 censoring_event=train["residual_event"])
            except ValueError:  # as horizon_brier: horizon outside the follow-up
                brier = float("nan")
            rows.append({"repeat": repeat, "fold": fold, "landmark": landmark, "model": name,
                         "c_index": (harrell_c(time, event, 1.0 - at["survival"].to_numpy())
                                     if event.sum() else float("nan")),
                         "brier": brier, "n_at_risk": len(at),
                         "deaths_in_window": int(event.sum())})
    return CrossValidation(pd.concat([result.scores, pd.DataFrame(rows)], ignore_index=True),
                           pd.concat([predictions, *added], ignore_index=True))


def out_of_fold_recalibration(visits: pd.DataFrame, predictor: Any, *, folds: int = 5,
                              seed: int = 0, horizon: float = HORIZON_YEARS,
                              progress: bool = False):
    """A logit recalibration of ``predictor`` fitted on its own out-of-fold window survival.

    Cross-validates ``predictor`` on ``visits`` (patient-level ``folds``, fold seed ``seed``, one
    repeat), pools the out-of-fold predictions of every landmark and fits
    :func:`medcore.survival.recalibration.fit_logit_recalibration` on them.

    Returns
    -------
    LogitRecalibration
        Its ``description`` says what it was fitted on.
    """
    from medcore.survival.recalibration import fit_logit_recalibration

    result = cross_validate(visits, {"model": predictor}, folds=folds, repeats=1, seed=seed,
                            horizon=horizon, progress=progress)
    oof = result.predictions
    return fit_logit_recalibration(
        oof["survival"], oof["time"], oof["event"], horizon,
        description=(f"fitted on the out-of-fold {horizon:g}-year window survival of a "
                     f"patient-level {folds}-fold cross-validation (fold seed {seed}) over "
                     f"{visits['id'].nunique()} training patients, landmarks "
                     f"{', '.join(f'{lm:g}' for lm in LANDMARKS_YEARS)} years pooled "
                     f"({len(oof)} predictions)"))


def _summary(frame: pd.DataFrame) -> dict[str, float]:
    per_fold = frame.groupby(["repeat", "fold"])[["c_index", "brier"]].mean()
    per_repeat = per_fold.groupby("repeat").mean()
    return {"c_index": float(per_fold["c_index"].mean()),
            "c_index_sd_folds": float(per_fold["c_index"].std()),
            "c_index_sd_repeats": float(per_repeat["c_index"].std()),
            "c_index_by_repeat": [round(float(v), 4) for v in per_repeat["c_index"]],
            "brier": float(per_fold["brier"].mean()),
            "brier_sd_folds": float(per_fold["brier"].std())}


def report(result: CrossValidation, *, model: str, dataset: str, n_test: int) -> dict[str, Any]:
    """Evaluation JSON in the shape ``python -m medcore evaluate --json`` prints (model, dataset,
    n_test, test, baselines), with per-landmark tables for every predictor."""
    results = result.scores
    def per_landmark(frame):
        table = frame.groupby("landmark").agg(
            c_index=("c_index", "mean"), c_index_sd=("c_index", "std"),
            brier=("brier", "mean"), brier_sd=("brier", "std"),
            n_at_risk=("n_at_risk", "sum"), deaths_in_window=("deaths_in_window", "sum"))
        repeats = frame["repeat"].nunique()
        table[["n_at_risk", "deaths_in_window"]] //= repeats
        counts = ("n_at_risk", "deaths_in_window")
        return {f"{lm:g}y": {k: (int(v) if k in counts else round(float(v), 4))
                             for k, v in row.items()} for lm, row in table.iterrows()}

    def block(name):
        frame = results[results["model"] == name]
        return {**{k: (round(v, 4) if isinstance(v, float) else v)
                   for k, v in _summary(frame).items()},
                "per_landmark": per_landmark(frame),
                f"calibration_{HORIZON_YEARS:g}y": window_calibration(
                    result.predictions[result.predictions["model"] == name]),
                f"calibration_{HORIZON_YEARS:g}y_deciles": window_deciles(
                    result.predictions[result.predictions["model"] == name])}

    ours = results[results["model"] == model].set_index(["repeat", "fold", "landmark"])
    baselines = {name: block(name) for name in results["model"].unique() if name != model}
    for name in baselines:
        other = results[results["model"] == name].set_index(["repeat", "fold", "landmark"])
        diff = (ours["c_index"] - other["c_index"]).groupby(["repeat", "fold"]).mean()
        baselines[name]["model_minus_baseline_c_index"] = round(float(diff.mean()), 4)
        baselines[name]["folds_model_better"] = f"{int((diff > 0).sum())}/{diff.size}"
    folds = int(results["fold"].nunique())
    repeats = int(results["repeat"].nunique())
    return {
        "model": model, "dataset": dataset,
        "n_test": int(n_test),
        "protocol": (f"patient-level stratified {folds}-fold CV x {repeats} repeats; landmarks "
                     f"{sorted(results['landmark'].unique().tolist())} years, horizon "
                     f"{HORIZON_YEARS:g} years; patients at risk at the landmark, visits up to "
                     "it; c_index = Harrell's C on times truncated at the horizon, brier = IPCW "
                     "Brier at the horizon; both averaged over landmarks, mean and SD over "
                     "folds x repeats; calibration = mean predicted vs Kaplan-Meier observed "
                     f"survival to the end of the window by quintile of predicted risk, on the "
                     "pooled out-of-fold predictions of each repeat, per landmark, "
                     "mean_abs_diff averaged over landmarks and repeats; "
                     f"calibration_{HORIZON_YEARS:g}y_deciles = the same by decile of predicted "
                     "window survival, all landmarks pooled, per repeat, averaged over repeats "
                     "(n per repeat). Death = event, transplant censors."),
        "test": block(model), "baselines": baselines,
    }
