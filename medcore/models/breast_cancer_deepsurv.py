"""``breast_cancer_deepsurv``: a DeepSurv-style feed-forward Cox ensemble for recurrence-free
survival after breast-cancer surgery (Rotterdam node-positive -> GBSG).

Model input (:func:`to_model_array`): ``(n, 8)`` float32 in :data:`FEATURE_NAMES` order, raw units,
with ``size`` as the numeric code 0/1/2 for ``"<=20"``, ``"20-50"``, ``">50"`` mm. Inside the saved
``.keras`` model: ``log1p`` of ``nodes``, ``pgr`` and ``er``
(:class:`medcore.survival.Log1pColumns`; their raw values are heavily skewed), then a
``Normalization`` adapted on the training split, then
:data:`NUM_MEMBERS` networks from :func:`medcore.networks.feedforward.build_feedforward` (linear
log-risk head, no bias) side by side. Output: ``(n, members)`` log-risks.

Each member is trained with the Breslow-ties Cox partial likelihood (full batch) on a bootstrap
resample of the Rotterdam training split, from its own seed, with early stopping on the validation
split (carved from Rotterdam). After training, a Breslow baseline cumulative hazard is fitted for
each member on all of Rotterdam and stored in the model card (``parameters.baseline``: shared
``times`` in years, ``cumulative_hazard`` per member, and each member's ``log_risk_center``).
The ensemble's curve is the members' mean survival; the band is their spread (min to max): the
uncertainty of the fit under resampling of the training data, not a full confidence interval.

Serving (:func:`predict`, :func:`score_records`): the serving model is called for the members'
log-risks (``{"log_risk": (n, members)}``, :func:`serving_graph`); the curves come from the
Breslow baselines of the card it carries.
"""
from __future__ import annotations

import functools
import time as _time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from medcore import RESEARCH_USE_DISCLAIMER, registry
from medcore.cards import ModelCard
from medcore.datasets import rotterdam_gbsg as data_module
from medcore.errors import DataValidationError
from medcore.schemas import ROTTERDAM, ROTTERDAM_SIZE_CATEGORIES
from medcore.serving import ServingModel
from medcore.survival.metrics import harrell_c, survival_report

NAME = "breast_cancer_deepsurv"
FEATURE_NAMES: tuple[str, ...] = tuple(ROTTERDAM.feature_names)
LOG_FEATURES: tuple[str, ...] = ("nodes", "pgr", "er")
SIZE_CODES: dict[str, int] = {c: i for i, c in enumerate(ROTTERDAM_SIZE_CATEGORIES)}
NUM_MEMBERS = 5
HORIZON_YEARS = 5.0
#: Survival curves are drawn up to the last whole year at which this share is still at risk.
MAX_YEARS_MIN_SHARE = 0.10
#: Integrated Brier score grid: 1 to 6 years.
BRIER_GRID = np.round(np.linspace(1.0, 6.0, 21), 4)
#: The card's ``metrics``: what ``evaluate`` reports, its intervals, the ensemble's band.
CARD_METRICS = {
    "measures": ["c_index", "uno_c", "integrated_brier", "calibration_5y",
                 "calibration_5y_mean_abs_diff", "calibration_5y_deciles"],
    "intervals": "Kaplan-Meier 95% intervals of the observed survival per calibration group "
                 "(calibration_5y)",
    "uncertainty": "min-max of the members' survival curves (spread of the ensemble trained on "
                   "bootstrap resamples from different seeds)"}
#: Published and same-protocol figures on these data (the card's ``published_anchors``).
PUBLISHED_ANCHORS = [
    {"model": "Cox PH (lifelines), measured", "metric": "c_index", "value": 0.666,
     "data": "GBSG", "source": "lifelines CoxPHFitter on the same Rotterdam -> GBSG protocol"},
    {"model": "DeepSurv", "metric": "c_index", "value": 0.668, "data": "GBSG",
     "source": "Katzman et al., BMC Med Res Methodol 18:24 (2018)"},
    {"model": "DeepSurv", "metric": "c_index", "value": 0.618, "data": "SUPPORT",
     "source": "Katzman et al., BMC Med Res Methodol 18:24 (2018)"},
]
HYPERPARAMETERS: dict[str, Any] = {
    "hidden_units": (32, 32), "dropout": 0.2, "l2": 1e-3, "activation": "selu",
    "learning_rate": 1e-3, "max_epochs": 300, "patience": 30, "validation_fraction": 0.2,
    "bootstrap": True,
}


def to_model_array(frame: pd.DataFrame) -> np.ndarray:
    """Covariate frame -> the model's ``(n, 8)`` float32 input.

    ``size`` may be the category string (``"<=20"``, ``"20-50"``, ``">50"``) or its code 0/1/2;
    the other columns are numbers in the units of :data:`medcore.schemas.ROTTERDAM`.

    Raises
    ------
    DataValidationError
        A covariate column is missing, a size is not one of the categories, or a value is not a
        finite number.
    """
    missing = [name for name in FEATURE_NAMES if name not in frame.columns]
    if missing:
        raise DataValidationError(
            f"The records lack the column(s) {', '.join(missing)}; expected all of "
            f"{', '.join(FEATURE_NAMES)}. Add them (see the Rotterdam schema on the Upload page).")
    columns = {}
    for name in FEATURE_NAMES:
        values = frame[name]
        if name == "size":
            as_text = values.astype(str).str.strip()
            codes = as_text.map(SIZE_CODES)
            numeric = pd.to_numeric(as_text, errors="coerce")
            codes = codes.fillna(numeric.where(numeric.isin([0, 1, 2])))
            if codes.isna().any():
                bad = sorted(set(as_text[codes.isna()]))[:5]
                raise DataValidationError(
                    f"size has the value(s) {bad}; expected one of "
                    f"{', '.join(ROTTERDAM_SIZE_CATEGORIES)} (mm) or the codes 0/1/2.")
            values = codes
        values = pd.to_numeric(values, errors="coerce")
        if not np.isfinite(values.to_numpy(dtype=float)).all():
            raise DataValidationError(
                f"{name} has missing or non-numeric values; expected a number in every row.")
        columns[name] = values.to_numpy(dtype="float32")
    return np.stack([columns[n] for n in FEATURE_NAMES], axis=1)


def _targets(frame: pd.DataFrame) -> np.ndarray:
    from medcore.survival import survival_targets

    return survival_targets(frame["time"], frame["event"])


def fit_ensemble(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray,
                 val_y: np.ndarray, *, seed: int = 0, num_members: int | None = None,
                 hyperparameters: dict[str, Any] | None = None, log_columns=None):
    """Train ``num_members`` Cox networks; return ``(ensemble, epochs_per_member)``.

    Parameters
    ----------
    train_x, val_x : ndarray, shape (n, features), raw units
    train_y, val_y : ndarray, shape (n, 2), time and event
    log_columns : sequence of int, optional
        Columns put through ``log1p`` inside the model (default: nodes, pgr, er).

    Returns
    -------
    ensemble : keras.Model, input (n, features) -> output (n, num_members) log-risks
    epochs : list of int, epochs kept (best validation loss) per member
    """
    import keras

    from medcore.networks.feedforward import adapted_normalizer, build_feedforward
    from medcore.survival.cox import Log1pColumns, cox_negative_log_likelihood

    hp = {**HYPERPARAMETERS, **(hyperparameters or {})}
    num_members = num_members or NUM_MEMBERS
    if log_columns is None:
        log_columns = [FEATURE_NAMES.index(n) for n in LOG_FEATURES]
    width = train_x.shape[1]
    log1p = Log1pColumns(log_columns, name="log1p_skewed")
    normalize = adapted_normalizer(np.asarray(log1p(train_x)), name="normalize")
    inputs = keras.Input(shape=(width,), dtype="float32", name="features")
    scaled = normalize(log1p(inputs))
    members, epochs = [], []
    rng = np.random.default_rng(seed)
    for k in range(num_members):
        keras.utils.set_random_seed(seed * 1000 + k)
        member = build_feedforward(width, hidden_units=hp["hidden_units"],
                                   dropout=hp["dropout"], l2=hp["l2"],
                                   activation=hp["activation"], output_activation="linear",
                                   output_use_bias=False, normalizer=None, name=f"member_{k}")
        rows = (rng.integers(0, len(train_x), len(train_x)) if hp["bootstrap"]
                else np.arange(len(train_x)))
        trainer = keras.Model(inputs, member(scaled), name=f"trainer_{k}")
        trainer.compile(optimizer=keras.optimizers.Adam(hp["learning_rate"]),
                        loss=cox_negative_log_likelihood)
        stop = keras.callbacks.EarlyStopping(patience=hp["patience"], restore_best_weights=True)
        batch = hp.get("batch_size") or len(rows)      # full batch unless a size is set
        history = trainer.fit(train_x[rows], train_y[rows], batch_size=batch,
                              epochs=hp["max_epochs"], validation_data=(val_x, val_y),
                              validation_batch_size=len(val_x), callbacks=[stop], verbose=0,
                              shuffle=batch < len(rows))
        losses = history.history["val_loss"]
        epochs.append(int(np.argmin(losses)) + 1)
        members.append(member(scaled))
    outputs = keras.layers.Concatenate(name="log_risk")(members) if num_members > 1 else members[0]
    return keras.Model(inputs, outputs, name=NAME), epochs


def _predict(model, x: np.ndarray) -> np.ndarray:
    """``(n, members)`` log-risks; a direct call for small batches (fast), predict otherwise."""
    x = np.asarray(x, dtype="float32")
    if len(x) <= 2048:
        return np.asarray(model(x, training=False), dtype=float).reshape(len(x), -1)
    return np.asarray(model.predict(x, batch_size=2048, verbose=0), dtype=float)


def model_input(source: pd.DataFrame | np.ndarray) -> np.ndarray:
    """The model's ``(n, 8)`` float32 input from a covariate frame (:func:`to_model_array`) or
    from an array already in :data:`FEATURE_NAMES` order.

    Raises
    ------
    DataValidationError
        Missing covariates, invalid values, or an array of another width.
    """
    if isinstance(source, pd.DataFrame):
        return to_model_array(source)
    x = np.asarray(source, dtype="float32")
    x = x[None, :] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[1] != len(FEATURE_NAMES):
        raise DataValidationError(f"received an array of shape {x.shape}; expected (n, "
                                  f"{len(FEATURE_NAMES)}) in the order {', '.join(FEATURE_NAMES)}.")
    return x


def serving_graph(model: Any) -> Any:
    """The ensemble with its output named: ``{"log_risk": (n, members)}``, each member's
    uncentred log-risk (centre with the card's ``parameters.baseline.log_risk_center``)."""
    import keras

    return keras.Model(model.inputs, {"log_risk": model.outputs[0]}, name=f"{NAME}_serving")


@dataclass(frozen=True, eq=False)
class Baselines:
    """The Breslow baselines of the members, from the card's ``parameters``.

    times : ndarray, shape (t,), years; cumulative_hazards : (members, t);
    log_risk_centers : (members,); max_years : the last year curves are drawn to.
    """

    times: np.ndarray
    cumulative_hazards: np.ndarray
    log_risk_centers: np.ndarray
    max_years: float


@functools.lru_cache(maxsize=8)
def baselines(card: ModelCard) -> Baselines:
    """The card's baselines as arrays (parsed once per card)."""
    base = card.parameters["baseline"]
    return Baselines(np.asarray(base["times"], float), np.asarray(base["cumulative_hazard"], float),
                     np.asarray(base["log_risk_center"], float),
                     float(card.parameters["max_years"]))


def _survival(eta: np.ndarray, base: Baselines, times: np.ndarray) -> np.ndarray:
    """``S(t | x)`` per member from uncentred log-risks ``eta`` (n, members): (members, n, t)."""
    from medcore.survival import BreslowBaseline, survival_curves

    return np.stack([survival_curves(eta[:, k], BreslowBaseline(base.times, hazard), times)
                     for k, hazard in enumerate(base.cumulative_hazards)])


@dataclass(frozen=True)
class Prediction:
    """Ensemble survival on a grid of years for ``n`` patients.

    Attributes
    ----------
    times : ndarray, shape (t,)      years (default: 0 to the card's ``max_years``)
    survival : ndarray, shape (n, t) members' mean
    lower, upper : ndarray, shape (n, t)  members' minimum and maximum (the band)
    log_risk : ndarray, shape (n,)   ensemble log-risk relative to the average training patient
    """

    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    log_risk: np.ndarray

    def at(self, years: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(survival, lower, upper)`` at ``years`` (a grid point), each shape (n,).

        Raises
        ------
        DataValidationError
            ``years`` is not on the grid (beyond the follow-up the model supports).
        """
        index = np.flatnonzero(np.isclose(self.times, years))
        if index.size == 0:
            raise DataValidationError(f"{years} years is not on the prediction grid (0 to "
                                      f"{self.times[-1]:g} years); pick a time within it.")
        i = index[0]
        return self.survival[:, i], self.lower[:, i], self.upper[:, i]


def predict(model: ServingModel, inputs: pd.DataFrame | np.ndarray, *,
            times: np.ndarray | None = None, step: float = 0.05) -> Prediction:
    """Survival curves with the ensemble's band, and the log-risk, of every patient.

    Parameters
    ----------
    model : ServingModel
        ``registry.serving_model("breast_cancer_deepsurv")``: called as ``model(x)``; its card
        holds the Breslow baselines.
    inputs : DataFrame of covariates, or ndarray, shape (n, 8) (see :func:`model_input`)
    times : ndarray, optional
        Years at which to give survival (default: 0 to ``max_years`` in steps of ``step``).

    Raises
    ------
    DataValidationError
        Missing covariates or invalid values.
    """
    base = baselines(model.card)
    if times is None:
        times = np.round(np.arange(0.0, base.max_years + step / 2, step), 6)
    times = np.atleast_1d(np.asarray(times, float))
    eta = np.asarray(model(model_input(inputs))["log_risk"], dtype=float)
    members = _survival(eta, base, times)
    return Prediction(times, members.mean(axis=0), members.min(axis=0), members.max(axis=0),
                      (eta - base.log_risk_centers[None, :]).mean(axis=1))


def explained_model(model: Any, card: ModelCard, target: str) -> Any:
    """The Keras model whose one output is explained: ``"log_risk"`` (members' mean log-risk,
    each centred on its average training patient) or ``"survival_5y"`` (members' mean
    ``S(5 y) = exp(-H0_k(5) exp(eta_k))`` with each member's Breslow baseline)."""
    import keras

    from medcore.explain.core import _single
    from medcore.explain.heads import CenteredMean
    from medcore.explain.tabular import survival_at_horizon_model
    from medcore.survival import BreslowBaseline

    base = baselines(card)
    if target == "log_risk":
        head = CenteredMean(base.log_risk_centers.tolist(), name="mean_log_risk")
        return keras.Model(_single(model.inputs), head(model.outputs[0]),
                           name=f"{NAME}_{target}")
    hazards = [float(BreslowBaseline(base.times, h).at([HORIZON_YEARS])[0])
               for h in base.cumulative_hazards]
    return survival_at_horizon_model(model, hazards)


def _development(data=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rotterdam = data_module.load_rotterdam(data)
    train, validation = data_module.split_rotterdam(
        rotterdam, validation_fraction=HYPERPARAMETERS["validation_fraction"], seed=0)
    return rotterdam, train, validation


def training_background(n: int = 100, seed: int = 0, data=None) -> np.ndarray:
    """``n`` raw-unit model inputs from the training split (a SHAP background), (n, 8)."""
    _, train, _ = _development(data)
    rows = np.random.default_rng(seed).choice(len(train), size=min(n, len(train)), replace=False)
    return to_model_array(train.iloc[np.sort(rows)])


def test_inputs(data=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GBSG test inputs and labels: ``(X (686, 8), time (686,) years, event (686,))``."""
    gbsg = data_module.load_gbsg(data)
    return to_model_array(gbsg), gbsg["time"].to_numpy(float), gbsg["event"].to_numpy(int)


def _feature_summary(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    array = to_model_array(frame)
    return {name: {"min": float(array[:, i].min()), "max": float(array[:, i].max()),
                   "median": float(np.median(array[:, i]))}
            for i, name in enumerate(FEATURE_NAMES)}


def _max_years(frame: pd.DataFrame, minimum_share: float = MAX_YEARS_MIN_SHARE) -> float:
    """Last whole year at which at least ``minimum_share`` of the patients are still at risk."""
    times = np.sort(frame["time"].to_numpy(float))
    return float(np.floor(times[int(len(times) * (1 - minimum_share))]))


def _previous_analyses(models_dir, *names: str) -> dict[str, Any]:
    """Analyses of the current card that ``train`` does not redo (e.g. ``support_check``, from
    ``python -m medcore.survival_support``), kept on retraining."""
    if not registry.is_available(NAME, models_dir):
        return {}
    analyses = registry.load_card(NAME, models_dir).quantitative_analyses
    return {name: analyses[name] for name in names if name in analyses}


def train(*, data=None, seed: int = 0, models_dir=None) -> ModelCard:
    """Train the ensemble on Rotterdam, fit the Breslow baselines, save model + card."""
    from medcore.survival import breslow_baseline

    started = _time.perf_counter()
    rotterdam, train_frame, val_frame = _development(data)
    train_x, val_x, all_x = (to_model_array(f) for f in (train_frame, val_frame, rotterdam))
    ensemble, epochs = fit_ensemble(train_x, _targets(train_frame), val_x, _targets(val_frame),
                                    seed=seed)
    eta_all = _predict(ensemble, all_x)
    baselines_ = [breslow_baseline(eta_all[:, k], rotterdam["time"], rotterdam["event"])
                  for k in range(eta_all.shape[1])]
    val_c = harrell_c(val_frame["time"], val_frame["event"],
                      (_predict(ensemble, val_x) - eta_all.mean(axis=0)).mean(axis=1))
    card = {
        "model_details": {
            "summary": ("DeepSurv-style feed-forward Cox model (ensemble of "
                        f"{len(epochs)} networks) for recurrence-free survival (recurrence or "
                        "death) after surgery for node-positive breast cancer."),
            "seed": seed, "training_time_s": round(_time.perf_counter() - started, 1),
            "architecture": {**{k: (list(v) if isinstance(v, tuple) else v)
                                for k, v in HYPERPARAMETERS.items()},
                             "members": len(epochs), "epochs_kept": epochs,
                             "loss": "negative Cox partial log-likelihood, Breslow ties, full "
                                     "batch",
                             "log1p_inside_model": list(LOG_FEATURES)},
            "custom_objects_module": "medcore.survival.cox"},
        "intended_use": {
            "primary_uses": ("Research and teaching: how tumour and treatment data relate to "
                             "recurrence-free survival in two historical European cohorts."),
            "out_of_scope_uses": (
                "Treatment decisions for individual patients; node-negative patients; patients "
                "treated with modern therapies (trastuzumab, aromatase inhibitors, CDK4/6 "
                "inhibitors) absent from 1978-1993 cohorts; causal claims about hormone therapy "
                "(the data are observational for Rotterdam).")},
        "factors": registry.spec(NAME).factors(),
        "metrics": CARD_METRICS,
        "evaluation_data": {"description": "GBSG (German Breast Cancer Study Group 2) trial, "
                                           "n=686; size in mm mapped onto <=20 / 20-50 / >50"},
        "training_data": {
            "description": "Rotterdam tumour bank, node-positive only (nodes > 0), n=1546",
            "details": {"source": data_module.SOURCE, "licence": data_module.LICENCE,
                        "citation": data_module.CITATION,
                        "outcome": "RFS: event = recurrence or death (rfs = pmax(recur, death)); "
                                   "time = rtime if recurred else dtime (R survival help of "
                                   "rotterdam), years.",
                        "splits": {"train": len(train_frame), "validation": len(val_frame),
                                   "validation_from": "Rotterdam (stratified by event, "
                                                      "random_state=0)",
                                   "test": "GBSG 686 (touched only by evaluate)",
                                   "baseline_fitted_on": "all Rotterdam (train + validation), "
                                                         "n=1546"}}},
        "quantitative_analyses": {"validation": {"c_index": round(val_c, 4)},
                                  **_previous_analyses(models_dir, "support_check")},
        "caveats": RESEARCH_USE_DISCLAIMER,
        "input_contract": {
            "description": "raw units in feature_names order; size as its code "
                           "(details.size_codes)",
            "output": "(n, members) log-risk per member (uncentred); centre with "
                      "baseline.log_risk_center",
            "feature_names": list(FEATURE_NAMES),
            "units": {c.name: c.unit for c in ROTTERDAM.columns},
            "training_ranges": _feature_summary(train_frame),
            "ranges_rule": "minimum, maximum and median on the training split (size as its "
                           "code)",
            "details": {"shape": "(n, 8) float32", "size_codes": SIZE_CODES}},
        "published_anchors": PUBLISHED_ANCHORS,
        "parameters": {
            "baseline": {"method": "Breslow, per member, fitted after training on all Rotterdam",
                         "times": [round(float(t), 5) for t in baselines_[0].times],
                         "cumulative_hazard": [b.to_dict()["cumulative_hazard"]
                                               for b in baselines_],
                         "log_risk_center": eta_all.mean(axis=0).tolist()},
            "max_years": _max_years(rotterdam), "max_years_min_share": MAX_YEARS_MIN_SHARE,
            "max_years_rule": f"curves drawn up to the last whole year at which >= "
                              f"{MAX_YEARS_MIN_SHARE:.0%} of Rotterdam patients are still at "
                              "risk"},
    }
    return registry.save_model(ensemble, NAME, card, models_dir)


def _baseline_models(train_frame: pd.DataFrame, test_frame: pd.DataFrame, seed: int = 0):
    """Fit the comparison models on ``train_frame``; yield ``(name, log_risk, survival)``."""
    from lifelines import CoxPHFitter
    from sksurv.ensemble import RandomSurvivalForest
    from sksurv.util import Surv

    train_x, test_x = to_model_array(train_frame), to_model_array(test_frame)
    log = [FEATURE_NAMES.index(n) for n in LOG_FEATURES]
    variants = {"coxph": (train_x, test_x),
                "coxph_log1p": (_log1p(train_x, log), _log1p(test_x, log))}
    for name, (a, b) in variants.items():
        frame = pd.DataFrame(a, columns=FEATURE_NAMES)
        frame["time"], frame["event"] = train_frame["time"].values, train_frame["event"].values
        cox = CoxPHFitter().fit(frame, "time", "event")
        test = pd.DataFrame(b, columns=FEATURE_NAMES)
        survival = cox.predict_survival_function(test, times=BRIER_GRID).T.values
        yield name, cox.predict_log_partial_hazard(test).values, survival
    forest = RandomSurvivalForest(n_estimators=300, min_samples_leaf=15, max_features="sqrt",
                                  n_jobs=1, random_state=seed)
    forest.fit(train_x, Surv.from_arrays(train_frame["event"].astype(bool), train_frame["time"]))
    functions = forest.predict_survival_function(test_x)
    survival = np.stack([f(BRIER_GRID) for f in functions])
    yield "random_survival_forest", forest.predict(test_x), survival


def _log1p(x: np.ndarray, columns) -> np.ndarray:
    x = x.copy()
    x[:, columns] = np.log1p(x[:, columns])
    return x


def _report(frame: pd.DataFrame, log_risk, survival) -> dict[str, Any]:
    return survival_report(frame["time"], frame["event"], log_risk, survival, BRIER_GRID,
                           horizon=HORIZON_YEARS, tau=float(BRIER_GRID[-1]))


def evaluate(*, data=None, models_dir=None, engine: str = "litert") -> dict[str, Any]:
    """GBSG test metrics of the shipped ensemble and of baselines fitted now on all Rotterdam.
    ``engine``: the runtime that scores the ensemble (see :func:`medcore.registry.serving_model`).
    """
    model = registry.serving_model(NAME, models_dir, engine=engine)
    rotterdam = data_module.load_rotterdam(data)
    gbsg = data_module.load_gbsg(data)
    prediction = predict(model, gbsg, times=BRIER_GRID)
    test = _report(gbsg, prediction.log_risk, prediction.survival)
    compared = {name: _report(gbsg, risk, survival)
                for name, risk, survival in _baseline_models(rotterdam, gbsg)}
    return {"model": NAME, "dataset": "Rotterdam node-positive (1546) -> GBSG (686), RFS",
            "n_test": len(gbsg), "test": test, "baselines": compared, "engine": engine,
            "test_followup_years": {"max": round(float(gbsg["time"].max()), 2),
                                    "median": round(float(gbsg["time"].median()), 2)},
            "notes": {"c_index": "Harrell (lifelines)", "uno_c": "IPCW, tau = 6 years, "
                      "censoring from GBSG (scikit-survival)",
                      "integrated_brier": "1 to 6 years, 21 points (scikit-survival)",
                      "calibration": "5-year predicted vs Kaplan-Meier observed, 4 risk groups "
                                     "(calibration_5y) and deciles of predicted 5-year RFS "
                                     "(calibration_5y_deciles)",
                      "baselines_fitted_on": "all Rotterdam node-positive, in this run"}}


# --- what the Survival page shows -----------------------------------------------------------------
def with_and_without(model: ServingModel, patient: pd.DataFrame,
                     column: str = "hormon") -> dict[int, Prediction]:
    """The same patient(s) predicted with ``column`` = 0 and = 1: ``{0: ..., 1: ...}``."""
    result = {}
    for value in (0, 1):
        changed = patient.copy()
        changed[column] = value
        result[value] = predict(model, changed)
    return result


@dataclass(frozen=True)
class TreatmentCounts:
    """Of 100 women like her, ``years`` after surgery (NHS PREDICT's icon array).

    without, with_ : predicted recurrence-free survival without / with hormone therapy.
    alive_without : women alive without recurrence even without hormone therapy (of 100).
    extra : additional women alive without recurrence because of it (0 when the model predicts
        no benefit); fewer : women fewer alive with it (0 unless the model predicts harm).
    recurrence : the rest, recurrence or death; the three drawn counts sum to 100.
    """

    years: float
    without: float
    with_: float

    @property
    def alive_without(self) -> int:
        return min(int(round(100 * self.without)), int(round(100 * self.with_)))

    @property
    def extra(self) -> int:
        return max(int(round(100 * self.with_)) - int(round(100 * self.without)), 0)

    @property
    def fewer(self) -> int:
        return max(int(round(100 * self.without)) - int(round(100 * self.with_)), 0)

    @property
    def recurrence(self) -> int:
        return 100 - self.alive_without - self.extra


def treatment_counts(model: ServingModel, patient: pd.DataFrame,
                     years: tuple[float, ...] = (5.0, 10.0),
                     column: str = "hormon") -> list[TreatmentCounts]:
    """One :class:`TreatmentCounts` per horizon in ``years``, from the same predictions as
    :func:`with_and_without` (the curves on the page); several rows of one patient (receptor
    values to average over, :mod:`medcore.models.breast_cancer_receptors`) are averaged."""
    both = with_and_without(model, patient, column)
    return [TreatmentCounts(float(year), float(both[0].at(year)[0].mean()),
                            float(both[1].at(year)[0].mean())) for year in years]


def score_records(model: ServingModel, frame: pd.DataFrame,
                  years: tuple[float, ...] = (1.0, 3.0, 5.0)) -> pd.DataFrame:
    """RFS at ``years`` for every row, with the 5-year band; identifiers kept when present.

    Returns
    -------
    DataFrame, one row per record: ``patient_id`` (if present), the covariates, ``rfs_1y``,
    ``rfs_3y``, ``rfs_5y``, ``rfs_5y_low``, ``rfs_5y_high`` (probabilities, 3 decimals).

    Raises
    ------
    DataValidationError
        Missing covariates or invalid values (see :func:`to_model_array`).
    """
    prediction = predict(model, to_model_array(frame), times=np.asarray(years, float))
    keep = [c for c in ("patient_id", *FEATURE_NAMES) if c in frame.columns]
    out = frame[keep].reset_index(drop=True).copy()
    for k, year in enumerate(years):
        out[f"rfs_{year:g}y"] = prediction.survival[:, k].round(3)
    if HORIZON_YEARS in years:
        k = list(years).index(HORIZON_YEARS)
        out[f"rfs_{HORIZON_YEARS:g}y_low"] = prediction.lower[:, k].round(3)
        out[f"rfs_{HORIZON_YEARS:g}y_high"] = prediction.upper[:, k].round(3)
    return out


def score_titles(years: tuple[float, ...] = (1.0, 3.0, 5.0)) -> dict[str, str]:
    """Plain titles of :func:`score_records`' result columns, in the order they come:
    ``{"rfs_5y": "Recurrence-free at 5 years", "rfs_5y_low": "... lowest network", ...}``."""
    titles = {f"rfs_{year:g}y": f"Recurrence-free at {year:g} year{'s' if year != 1 else ''}"
              for year in years}
    if HORIZON_YEARS in years:
        five = titles[f"rfs_{HORIZON_YEARS:g}y"]
        titles[f"rfs_{HORIZON_YEARS:g}y_low"] = f"{five}, lowest network of the ensemble"
        titles[f"rfs_{HORIZON_YEARS:g}y_high"] = f"{five}, highest network of the ensemble"
    return titles


def rfs_sentence(probability: float, years: float) -> str:
    """Plain words: "About 72 of 100 women like her are alive without recurrence 5 years after
    surgery." (rounded to whole women out of 100)."""
    count = int(round(100 * float(probability)))
    return (f"About {count} of 100 women like her are alive without recurrence "
            f"{years:g} year{'s' if years != 1 else ''} after surgery.")


def training_defaults(card: ModelCard) -> dict[str, Any]:
    """Form defaults: the training medians from the card (size as its category, 0/1 as int)."""
    medians = card.input_contract.medians
    defaults: dict[str, Any] = {}
    for column in ROTTERDAM.columns:
        if column.name not in medians:
            continue
        value = medians[column.name]
        if column.name == "size":
            defaults["size"] = ROTTERDAM_SIZE_CATEGORIES[int(round(value))]
        elif column.kind in ("binary", "int"):
            defaults[column.name] = int(round(value))
        else:
            defaults[column.name] = float(value)
    return defaults


def numeric_training_ranges(card: ModelCard) -> dict[str, tuple[float, float]]:
    """The card's training ranges ``{name: (min, max)}`` of the numeric covariates (size, a
    category, left out)."""
    return {n: r for n, r in card.input_contract.ranges.items() if n != "size"}
