"""``breast_cancer_fnn``: a feed-forward network for P(malignant) of a breast fine-needle aspirate.

Protocol (all on ``sklearn.datasets.load_breast_cancer``, malignant = 1):

1. A fixed stratified 20% held-out test split (:func:`medcore.datasets.wdbc.fixed_split`),
   identified in the card by the sha256 of its row indices. It is touched only by ``evaluate``.
2. Model selection on the other 80%: a small grid (hidden widths x dropout x L2), stratified
   5-fold CV; each fold trains with early stopping on its validation fold. The configuration with
   the lowest mean validation log-loss wins; the training length is the median best epoch.
3. Repeated stratified CV (5 x 5) of the chosen configuration and length: mean and spread of
   AUC and accuracy, and pooled out-of-fold probabilities.
4. Threshold rule: Youden's J on the pooled out-of-fold probabilities of step 3
   (``medcore.metrics.youden_threshold``); never chosen on the test split.
5. Final fit on the whole 80%, saved with its normalisation inside (raw units in).
"""
from __future__ import annotations

import itertools
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medcore import RESEARCH_USE_DISCLAIMER, metrics, registry
from medcore.cards import CLASSIFIER_MEASURES, ModelCard
from medcore.datasets.wdbc import SOURCE, TEST_FRACTION, SPLIT_SEED, fixed_split, load_wdbc
from medcore.errors import DataValidationError, ModelFileError
from medcore.schemas import WDBC
from medcore.serving import ServingModel

NAME = "breast_cancer_fnn"
#: Input columns, in model order (= ``load_breast_cancer().feature_names``).
FEATURE_NAMES: tuple[str, ...] = tuple(WDBC.feature_names)

#: Model-selection grid.
GRID = {"hidden_units": [(16,), (32, 16)], "dropout": [0.1, 0.3], "l2": [1e-4, 1e-3]}
CV_FOLDS = 5
CV_REPEATS = 5
MAX_EPOCHS = 300
#: Keras runs this many passes over the data per ``fit`` epoch (tiled rows): far less per-epoch
#: overhead on 450 rows; early stopping and the epoch count work in these blocks.
EPOCH_BLOCK = 5
PATIENCE_BLOCKS = 4
BATCH_SIZE = 32
LEARNING_RATE = 1e-3
#: Default for the baselines and the "at 0.5" comparison.
DEFAULT_THRESHOLD = 0.5

#: The card's ``metrics``: what ``evaluate`` reports and how its intervals are made.
CARD_METRICS = {"measures": list(CLASSIFIER_MEASURES),
                "intervals": "95% bootstrap intervals on the test split (test.ci95); repeated "
                             "cross-validation: mean, SD, min and max over folds"}
EVALUATION_DATA = ("WDBC fixed stratified 20% hold-out split, identified by the sha256 of its "
                   "row indices; touched only by evaluate")
PUBLISHED_ANCHORS = [
    {"model": "logistic regression", "metric": "accuracy", "value": 0.97, "data": "WDBC",
     "source": "Street, Wolberg, Mangasarian 1993 (~97% with 10-fold CV)",
     "note": "approximately"},
]


@dataclass(frozen=True)
class Config:
    """One point of the model-selection grid."""

    hidden_units: tuple[int, ...]
    dropout: float
    l2: float


@dataclass(frozen=True)
class DevelopmentData:
    """The fixed split in raw units; ``*_index`` are rows of ``load_breast_cancer()``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_index: np.ndarray
    test_index: np.ndarray
    test_sha256: str


def development_data(data: Any = None) -> DevelopmentData:
    """Load WDBC and apply the fixed split.

    ``data`` is ignored: the data ship with scikit-learn.
    """
    wdbc = load_wdbc()
    split = fixed_split(wdbc.labels)
    x = wdbc.features.to_numpy("float32")
    return DevelopmentData(x[split.train_index], wdbc.labels[split.train_index],
                           x[split.test_index], wdbc.labels[split.test_index],
                           split.train_index, split.test_index, split.test_sha256)


# --- inputs the page and the Explanation page need ---------------------------------------------
def test_inputs(data: Any = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Held-out test inputs in raw units and labels.

    Returns
    -------
    features : DataFrame, shape (114, 30), columns :data:`FEATURE_NAMES`
    labels : ndarray of int, shape (114,), 1 = malignant
    """
    dev = development_data(data)
    return pd.DataFrame(dev.x_test, columns=list(FEATURE_NAMES)), dev.y_test


def training_background(n: int = 100, seed: int = 0, data: Any = None) -> np.ndarray:
    """``n`` rows (without replacement) of the TRAINING split, raw units, float32, shape (n, 30).

    For a SHAP background. ``data`` is ignored (the data ship with scikit-learn).
    """
    dev = development_data(data)
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(dev.x_train), size=min(n, len(dev.x_train)), replace=False)
    return dev.x_train[np.sort(rows)]


def model_input(features: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Raw-unit model input, float32, shape (n, 30), from a frame (columns by name) or an array.

    Raises
    ------
    DataValidationError
        Missing feature columns, wrong width, or non-finite values (the rows are named).
    """
    if isinstance(features, pd.DataFrame):
        missing = [c for c in FEATURE_NAMES if c not in features.columns]
        if missing:
            raise DataValidationError(
                f"the records lack {len(missing)} feature column(s): {', '.join(missing[:8])}; "
                "expected the 30 Wisconsin columns. Use the template CSV of the 'wdbc' schema.")
        selected = features[list(FEATURE_NAMES)]
        text = [c for c in FEATURE_NAMES if not pd.api.types.is_numeric_dtype(selected[c])]
        if text:  # only text columns need coercing (slow in pandas); bad cells become NaN
            selected = selected.assign(**{c: pd.to_numeric(selected[c], errors="coerce")
                                          for c in text})
        x = selected.to_numpy("float32")
    else:
        x = np.asarray(features, dtype="float32")
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != len(FEATURE_NAMES):
            raise DataValidationError(
                f"received an array of shape {x.shape}; expected (n, {len(FEATURE_NAMES)}) in "
                "the order of FEATURE_NAMES.")
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise DataValidationError(
            f"records {', '.join(str(i + 1) for i in np.flatnonzero(bad)[:8])} contain empty or "
            "non-numeric features; expected a number in each of the 30 columns. Fill them in.")
    return x


@dataclass(frozen=True)
class Prediction:
    """``probability`` : ndarray, shape (n,), P(malignant) of each aspirate."""

    probability: np.ndarray


def serving_graph(model: Any) -> Any:
    """The saved network with its output named: ``{"probability": (n, 1)}``."""
    import keras

    return keras.Model(model.inputs, {"probability": model.outputs[0]},
                       name=f"{NAME}_serving")


def predict(model: ServingModel, inputs: pd.DataFrame | np.ndarray) -> Prediction:
    """P(malignant) from raw-unit features (see :func:`model_input`).

    Parameters
    ----------
    model : ServingModel
        ``registry.serving_model("breast_cancer_fnn")``, called as ``model(x)`` only.
    inputs : DataFrame with the 30 Wisconsin columns, or ndarray, shape (n, 30)

    Raises
    ------
    DataValidationError
        Missing columns, wrong width or non-finite values.
    """
    x = model_input(inputs)
    # One traced graph: ~0.3 ms for one row, ~4 ms for 10,000 (medcore.benchmarks.fnn).
    probability = model(x)["probability"] if len(x) else np.empty((0, 1), dtype="float32")
    return Prediction(np.asarray(probability).reshape(-1))


def call_label(probability: np.ndarray | float, threshold: float) -> np.ndarray:
    """``"malignant"`` where ``probability >= threshold``, else ``"benign"``."""
    return np.where(np.asarray(probability) >= threshold, "malignant", "benign")


def score_records(model: ServingModel, frame: pd.DataFrame,
                  threshold: float | None = None) -> pd.DataFrame:
    """``frame`` with two columns added: ``P(malignant)`` and ``call`` at ``threshold``.

    ``threshold`` defaults to the operating threshold of the model's card.

    Raises
    ------
    DataValidationError
        The records do not fit the model (see :func:`model_input`).
    ModelFileError
        No ``threshold`` given and the model has no card with one.
    """
    if threshold is None:
        threshold = operating_threshold(model)
    probability = predict(model, frame).probability
    scored = frame.copy()
    scored["P(malignant)"] = probability
    scored["call"] = call_label(probability, threshold)
    return scored


def results_first(scored: pd.DataFrame) -> pd.DataFrame:
    """:func:`score_records`' table as the Diagnosis page shows and downloads it (and batch
    scoring writes it): ``patient_id``, ``P(malignant)``, ``call``, then the measurements."""
    first = [c for c in ("patient_id", "P(malignant)", "call") if c in scored.columns]
    return scored[first + [c for c in scored.columns if c not in first]]


def operating_threshold(model: ServingModel) -> float:
    """The threshold recorded in the card the serving model carries.

    Raises
    ------
    ModelFileError
        The model carries no card, or its card has no threshold.
    """
    card = getattr(model, "card", None)
    if card is None or card.threshold is None:
        raise ModelFileError(f"The {NAME} model carries no card with an operating threshold; "
                             "pass threshold= or load it with registry.serving_model.")
    return card.threshold.value


def test_predictions(model: ServingModel) -> tuple[np.ndarray, np.ndarray]:
    """Labels and ``model``'s P(malignant) on the held-out test split, both shape (114,)."""
    features, labels = test_inputs()
    return labels, predict(model, features).probability


def threshold_meaning(y: np.ndarray, probability: np.ndarray, threshold: float) -> str:
    """One sentence: what ``threshold`` means on the held-out test split (labels ``y``,
    predictions ``probability``, from :func:`test_predictions`)."""
    from medcore import metrics

    at = metrics.threshold_metrics(y, probability, threshold)
    return (f"At the operating threshold {threshold:.2f}, on {len(y)} held-out test aspirates the "
            f"model called {at['sensitivity']:.0%} of the malignant masses malignant "
            f"(sensitivity) and {at['specificity']:.0%} of the benign ones benign (specificity).")


def explained_model(model: Any, card: ModelCard, target: str) -> Any:
    """The Keras model whose one output is explained: ``"probability"`` (the network itself)
    or ``"logit"`` (the log-odds under its sigmoid)."""
    from medcore.explain.tabular import logit_model

    return logit_model(model) if target == "logit" else model


# --- training -------------------------------------------------------------------------------------
def _fit(config: Config, x: np.ndarray, y: np.ndarray, *, seed: int, epochs: int | None = None,
         validation: tuple[np.ndarray, np.ndarray] | None = None):
    """Fit one network; with ``validation`` early-stop on its loss, else train ``epochs``.

    Returns ``(model, best_epoch, best_validation_loss)`` (the last two are None without
    validation).
    """
    import keras

    from medcore.networks.feedforward import build_feedforward

    keras.utils.set_random_seed(seed)
    model = build_feedforward(len(FEATURE_NAMES), hidden_units=config.hidden_units,
                              dropout=config.dropout, l2=config.l2, normalizer=x, name=NAME)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="binary_crossentropy",
                  steps_per_execution=16)
    tiled_x, tiled_y = np.tile(x, (EPOCH_BLOCK, 1)), np.tile(y.astype("float32"), EPOCH_BLOCK)
    if validation is None:
        model.fit(tiled_x, tiled_y, epochs=max(1, round(epochs / EPOCH_BLOCK)),
                  batch_size=BATCH_SIZE, verbose=0)
        return model, None, None
    stop = keras.callbacks.EarlyStopping(patience=PATIENCE_BLOCKS, restore_best_weights=True)
    history = model.fit(tiled_x, tiled_y, validation_data=(validation[0],
                        validation[1].astype("float32")), epochs=MAX_EPOCHS // EPOCH_BLOCK,
                        batch_size=BATCH_SIZE, verbose=0, callbacks=[stop])
    losses = history.history["val_loss"]
    best = int(np.argmin(losses))
    return model, (best + 1) * EPOCH_BLOCK, float(losses[best])


def _log(message: str) -> None:
    """Progress goes to stderr, so ``train --json`` keeps stdout for JSON."""
    print(message, file=sys.stderr, flush=True)


def _probability(model: Any, x: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict_on_batch(x)).reshape(-1)


def select_config(x: np.ndarray, y: np.ndarray, *, seed: int = 0,
                  progress=None) -> tuple[Config, int, list[dict]]:
    """Grid search by stratified CV on the development rows.

    Returns
    -------
    config : the configuration with the lowest mean validation log-loss
    epochs : median best epoch of its folds
    table : one dict per configuration (mean log-loss, AUC, best epochs)
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    progress = progress or _log

    folds = list(StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed).split(x, y))
    table = []
    for values in itertools.product(*GRID.values()):
        config = Config(*values)
        losses, aucs, epochs = [], [], []
        for k, (fit_rows, val_rows) in enumerate(folds):
            model, best_epoch, loss = _fit(config, x[fit_rows], y[fit_rows], seed=seed + k,
                                           validation=(x[val_rows], y[val_rows]))
            losses.append(loss)
            epochs.append(best_epoch)
            aucs.append(roc_auc_score(y[val_rows], _probability(model, x[val_rows])))
        row = {**asdict(config), "val_log_loss": float(np.mean(losses)),
               "val_auc": float(np.mean(aucs)), "best_epochs": epochs}
        table.append(row)
        progress(f"  grid {len(table)}: {config} log-loss {row['val_log_loss']:.4f} "
                 f"AUC {row['val_auc']:.4f} epochs {epochs}")
    best = min(table, key=lambda r: r["val_log_loss"])
    config = Config(tuple(best["hidden_units"]), best["dropout"], best["l2"])
    return config, int(np.median(best["best_epochs"])), table


def repeated_cv(config: Config, epochs: int, x: np.ndarray, y: np.ndarray, *,
                seed: int = 0) -> dict[str, Any]:
    """Repeated stratified CV (``CV_REPEATS`` x ``CV_FOLDS``) of a fixed configuration and length.

    Returns a dict with mean/sd/min/max of per-fold AUC and accuracy (at 0.5), and
    ``"oof"``: pooled out-of-fold (labels, probabilities), shape (repeats * n,) each.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import RepeatedStratifiedKFold

    splitter = RepeatedStratifiedKFold(n_splits=CV_FOLDS, n_repeats=CV_REPEATS,
                                       random_state=seed + 1)
    aucs, accuracies, oof_y, oof_p = [], [], [], []
    for k, (fit_rows, val_rows) in enumerate(splitter.split(x, y)):
        model, _, _ = _fit(config, x[fit_rows], y[fit_rows], seed=seed + 100 + k, epochs=epochs)
        p = _probability(model, x[val_rows])
        aucs.append(roc_auc_score(y[val_rows], p))
        accuracies.append(float(np.mean((p >= DEFAULT_THRESHOLD) == y[val_rows])))
        oof_y.append(y[val_rows])
        oof_p.append(p)

    def spread(values: list[float]) -> dict[str, float]:
        v = np.asarray(values, dtype=float)
        return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)), "min": float(v.min()),
                "max": float(v.max())}

    return {"repeats": CV_REPEATS, "folds": CV_FOLDS, "auc": spread(aucs),
            "accuracy_at_0.5": spread(accuracies),
            "oof": (np.concatenate(oof_y), np.concatenate(oof_p))}


def train(*, data: Any = None, seed: int = 0, models_dir: Path | None = None,
          progress=None) -> ModelCard:
    """Select, cross-validate, fit on the 80% development split and save model + card.

    ``data`` is ignored: WDBC ships with scikit-learn. Returns the saved card.
    """
    progress = progress or _log
    start = time.perf_counter()
    dev = development_data(data)
    progress(f"{NAME}: model selection on {len(dev.y_train)} rows ({CV_FOLDS}-fold CV)")
    config, epochs, table = select_config(dev.x_train, dev.y_train, seed=seed, progress=progress)
    progress(f"{NAME}: chosen {config}, {epochs} epochs; repeated CV {CV_REPEATS}x{CV_FOLDS}")
    cv = repeated_cv(config, epochs, dev.x_train, dev.y_train, seed=seed)
    oof_y, oof_p = cv.pop("oof")
    threshold = metrics.youden_threshold(oof_y, oof_p)
    cv["oof_at_threshold"] = metrics.threshold_metrics(oof_y, oof_p, threshold)
    progress(f"{NAME}: CV AUC {cv['auc']['mean']:.4f} +/- {cv['auc']['sd']:.4f}; "
             f"threshold {threshold:.3f}; final fit")
    model, _, _ = _fit(config, dev.x_train, dev.y_train, seed=seed, epochs=epochs)
    test_report = metrics.classification_report(dev.y_test, _probability(model, dev.x_test),
                                                threshold)
    train_frame = pd.DataFrame(dev.x_train, columns=list(FEATURE_NAMES)).astype("float64")
    card = {
        "model_details": {
            "summary": "Feed-forward network (Keras) giving the probability that a breast mass "
                       "is malignant from 30 nuclear features of a fine-needle aspirate "
                       "(Wisconsin diagnostic data set).",
            "seed": seed, "training_time_s": round(time.perf_counter() - start, 1),
            "architecture": {"hidden_units": list(config.hidden_units),
                             "dropout": config.dropout, "l2": config.l2, "activation": "relu",
                             "output": "sigmoid", "epochs": epochs, "batch_size": BATCH_SIZE,
                             "optimizer": "Adam", "learning_rate": LEARNING_RATE},
            "custom_objects_module": None},
        "intended_use": {
            "primary_uses": "Research and teaching: to show how a small neural network "
                            "compares with logistic regression and gradient boosting on WDBC, "
                            "and how its threshold trades sensitivity against specificity.",
            "out_of_scope_uses": "Diagnosing patients or deciding on biopsy or treatment. Not "
                                 "validated on other laboratories, imaging set-ups, "
                                 "feature-extraction software or populations; features must "
                                 "be computed as in Street et al. (1993)."},
        "factors": registry.spec(NAME).factors(),
        "metrics": CARD_METRICS,
        "evaluation_data": {"description": EVALUATION_DATA},
        "training_data": {
            "description": "WDBC development split (the other 80%): model selection, repeated "
                           "cross-validation, threshold, final fit",
            "details": {**SOURCE, "label": "1 = malignant (scikit-learn's target 0, flipped)",
                        "splits": {"test_fraction": TEST_FRACTION, "split_seed": SPLIT_SEED,
                                   "stratified": True, "n_train": int(len(dev.y_train)),
                                   "n_test": int(len(dev.y_test)),
                                   "n_train_malignant": int(dev.y_train.sum()),
                                   "n_test_malignant": int(dev.y_test.sum()),
                                   "test_index_sha256": dev.test_sha256,
                                   "test_index_hash_rule": "sha256 of the sorted 0-based row "
                                                           "indices of load_breast_cancer(), "
                                                           "joined by commas"}}},
        "quantitative_analyses": {
            "model_selection": {"rule": f"stratified {CV_FOLDS}-fold CV on the training split; "
                                        "lowest mean validation log-loss; epochs = median best "
                                        "epoch under early stopping "
                                        f"(patience {PATIENCE_BLOCKS * EPOCH_BLOCK})",
                                "grid": table},
            "cross_validation": cv, "test_at_training_time": test_report},
        "caveats": RESEARCH_USE_DISCLAIMER,
        "threshold": {"value": threshold,
                      "rule": "Youden's J (max sensitivity + specificity - 1) on the pooled "
                              f"out-of-fold probabilities of the {CV_REPEATS}x{CV_FOLDS} "
                              "repeated CV on the training split; the test split is not used"},
        "input_contract": {
            "description": "raw units in; keras Normalization adapted on the training split "
                           "inside the model",
            "output": "P(malignant), shape (n, 1)",
            "feature_names": list(FEATURE_NAMES),
            "units": {c: WDBC.column(c).unit for c in FEATURE_NAMES},
            "training_ranges": {c: {"min": float(train_frame[c].min()),
                                    "max": float(train_frame[c].max()),
                                    "median": float(train_frame[c].median())}
                                for c in FEATURE_NAMES},
            "ranges_rule": "minimum, maximum and median on the training split",
            "details": {"shape": [None, len(FEATURE_NAMES)], "dtype": "float32"}},
        "published_anchors": PUBLISHED_ANCHORS,
        "parameters": {},
    }
    return registry.save_model(model, NAME, card, models_dir)


# --- evaluation -----------------------------------------------------------------------------------
def baseline_models(seed: int = 0) -> dict[str, Any]:
    """Unfitted scikit-learn baselines: standardised logistic regression, gradient boosting."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {"logistic_regression": make_pipeline(StandardScaler(),
                                                 LogisticRegression(max_iter=5000)),
            "gradient_boosting": GradientBoostingClassifier(random_state=seed)}


def evaluate(*, data: Any = None, models_dir: Path | None = None,
             engine: str = "litert") -> dict[str, Any]:
    """Test metrics of the shipped model (at its card threshold and at 0.5) with 95% bootstrap
    CIs, and the baselines fitted now on the same training split (threshold 0.5). ``engine``:
    the runtime that scores the shipped model (see :func:`medcore.registry.serving_model`)."""
    dev = development_data(data)
    model = registry.serving_model(NAME, models_dir, engine=engine)
    threshold = operating_threshold(model)
    probability = predict(model, dev.x_test).probability
    result: dict[str, Any] = {
        "model": NAME, "dataset": "WDBC (sklearn load_breast_cancer), fixed stratified 20% test",
        "n_test": int(len(dev.y_test)), "test_index_sha256": dev.test_sha256,
        "test": metrics.report_with_ci(dev.y_test, probability, threshold),
        "test_at_0.5": metrics.classification_report(dev.y_test, probability, DEFAULT_THRESHOLD),
        "baselines": {}, "engine": engine,
    }
    for name, baseline in baseline_models().items():
        baseline.fit(dev.x_train, dev.y_train)
        p = baseline.predict_proba(dev.x_test)[:, 1]
        result["baselines"][name] = metrics.report_with_ci(dev.y_test, p, DEFAULT_THRESHOLD)
    return result
