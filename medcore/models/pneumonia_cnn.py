"""``pneumonia_cnn``: a calibrated deep ensemble of small CNNs for pneumonia on PneumoniaMNIST.

``train`` fits ``NUM_MEMBERS`` networks (:func:`medcore.networks.convolutional.build_cnn`) on
the official training split with augmentation and class weighting, each stopped early on the
validation AUC; fits one Platt scaling ``sigmoid(scale * mean_logit + offset)`` of the mean
member logit on the validation split; folds it into one saved model; and picks the operating threshold on the validation split (Youden's J).
``evaluate`` touches the test split, with a pixel logistic-regression baseline fitted in the
same run.

The saved model takes raw ``uint8``-range pixels ``(n, 28, 28, 1)`` and returns the calibrated
P(pneumonia) ``(n, 1)``; its serving graph (:func:`serving_graph`) also names each member's
calibrated probability, from which :func:`predict` reports the ensemble's spread.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from medcore import RESEARCH_USE_DISCLAIMER, metrics, registry
from medcore.cards import CLASSIFIER_MEASURES, ModelCard
from medcore.datasets.pneumoniamnist import CLASS_NAMES, SOURCE, load_pneumoniamnist
from medcore.datasets.pneumoniamnist_subset import background_indices, load_subset
from medcore.errors import DataUnavailableError, DataValidationError
from medcore.serving import ServingModel

if TYPE_CHECKING:                # pandas only for score_records' callers: 0.6 s at import
    import pandas as pd

NAME = "pneumonia_cnn"
INPUT_SHAPE: tuple[int, int, int] = (28, 28, 1)
#: Images have pixels, not named features.
FEATURE_NAMES: tuple[str, ...] = ()
NUM_MEMBERS = 4
FILTERS = (16, 32, 64)
EPOCHS = 24
PATIENCE = 6
BATCH_SIZE = 64
LEARNING_RATE = 2e-3
THRESHOLD_RULE = ("Youden's J (max sensitivity + specificity - 1) of the calibrated ensemble "
                  "probability on the validation split; prevalence-free, equal weight to both "
                  "error types; ties broken towards the higher threshold")
#: The card's ``metrics``: what ``evaluate`` reports, its intervals, the ensemble's spread.
CARD_METRICS = {
    "measures": list(CLASSIFIER_MEASURES),
    "intervals": "95% bootstrap intervals on the test split (test.ci95)",
    "uncertainty": (f"Deep ensemble: {NUM_MEMBERS} members trained from different seeds; the "
                    "output is the calibrated mean of their logits; each member's calibrated "
                    "probability and their standard deviation (the spread shown) come from "
                    "medcore.models.pneumonia_cnn.predict.")}
#: Published PneumoniaMNIST test figures (MedMNIST v2, Yang et al. 2023, benchmark table), as
#: ``evaluate`` prints them (the card's ``published_anchors`` hold the same figures).
PUBLISHED = {
    "source": "MedMNIST v2 (Yang et al., Scientific Data 2023), PneumoniaMNIST test split",
    "ResNet-18 (28)": {"auc": 0.944, "accuracy": 0.854},
    "AutoKeras": {"auc": 0.947, "accuracy": 0.878},
    "Google AutoML Vision": {"auc": 0.991, "accuracy": 0.946},
}


@dataclass(frozen=True)
class Prediction:
    """Ensemble output for ``n`` images.

    ``probability`` (n,) calibrated P(pneumonia); ``member_probabilities`` (n, members);
    ``spread`` (n,) standard deviation across members (the ensemble's disagreement).
    """

    probability: np.ndarray
    member_probabilities: np.ndarray
    spread: np.ndarray


def model_input(source: Any) -> np.ndarray:
    """The model input ``(n, 28, 28, 1)`` float32 in 0..255 from a :class:`~medcore.imaging.Scan`
    (through :func:`medcore.imaging.to_model_input`) or from images ``(n, 28, 28[, 1])``.

    Raises
    ------
    DataValidationError
        Images of another shape.
    InvalidUploadError
        A scan that cannot be made into a model input.
    """
    from medcore.imaging import Scan, to_model_input

    if isinstance(source, Scan):
        return to_model_input(source)
    images = np.asarray(source, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.shape[1:] != INPUT_SHAPE:
        raise DataValidationError(
            f"Expected images of shape (n, 28, 28, 1) in the uint8 range; got {images.shape}. "
            "Convert a scan with medcore.imaging.to_model_input.")
    return images


def serving_graph(model: Any) -> Any:
    """The ensemble with named outputs: ``{"probability": (n, 1), "member_probabilities":
    (n, members)}`` (each member's calibrated probability, from the layer ``calibration``)."""
    import keras

    from medcore.networks.convolutional import member_probability_model

    probability, members = member_probability_model(model).outputs
    return keras.Model(model.inputs, {"probability": probability,
                                      "member_probabilities": members}, name=f"{NAME}_serving")


def serving_extras(model: Any, keras_path: Path, keras_sha256: str | None) -> dict[str, Any]:
    """Beside ``NAME.tflite``: ``NAME.map.tflite``, the gradient x difference map from the mean
    training image (:func:`medcore.export.convert_gradient_map`), so the Diagnosis page draws the
    map with LiteRT, without TensorFlow; returned as ``{"gradient_map": record}`` for the card's
    ``serving.details`` (see :func:`medcore.registry.load_gradient_map`)."""
    from medcore.explain.models import image_reference
    from medcore.export import GRADIENT_MAP, write_gradient_map

    return {GRADIENT_MAP: write_gradient_map(model, image_reference(NAME),
                                             Path(keras_path).with_suffix(".map.tflite"),
                                             keras_sha256=keras_sha256)}


def predict(model: ServingModel, inputs: Any) -> Prediction:
    """Probability and member spread of each image.

    Parameters
    ----------
    model : ServingModel
        ``registry.serving_model("pneumonia_cnn")``, called as ``model(x)`` only.
    inputs : Scan or ndarray, shape (n, 28, 28, 1) or (n, 28, 28)
        Raw pixels in 0..255 (see :func:`model_input`).

    Raises
    ------
    DataValidationError
        Images of another shape.
    """
    outputs = model(model_input(inputs))
    members = np.asarray(outputs["member_probabilities"], dtype=float)
    return Prediction(np.asarray(outputs["probability"], dtype=float)[:, 0], members,
                      members.std(axis=1))


def score_records(model: ServingModel, frame: pd.DataFrame,
                  threshold: float | None = None) -> pd.DataFrame:
    """One row per image: ``frame`` without its ``image`` column, plus ``P(pneumonia)``,
    ``ensemble_sd`` and ``call`` at ``threshold`` (default: the card's operating threshold).

    ``frame["image"]`` holds a :class:`~medcore.imaging.Scan` or a 28 x 28 array per row.

    Raises
    ------
    DataValidationError
        No ``image`` column, or an image of another shape.
    """
    if "image" not in frame.columns:
        raise DataValidationError(f"The table has the columns {list(frame.columns)}; expected an "
                                  "'image' column holding one scan or 28 x 28 image per row.")
    if threshold is None:
        threshold = model.card.threshold.value
    from medcore.imaging import Scan

    x = np.concatenate([model_input(image if isinstance(image, Scan) else np.asarray(image)[None])
                        for image in frame["image"]]) if len(frame) \
        else np.empty((0, *INPUT_SHAPE), np.float32)
    prediction = predict(model, x)
    scored = frame.drop(columns="image").reset_index(drop=True)
    scored["P(pneumonia)"] = prediction.probability
    scored["ensemble_sd"] = prediction.spread
    scored["call"] = np.where(prediction.probability >= threshold, "pneumonia", "normal")
    return scored


def explained_model(model: Any, card: ModelCard, target: str) -> Any:
    """The Keras model explained: the ensemble itself (one output, the calibrated
    P(pneumonia)); ``target`` is ``"probability"``, the only one."""
    return model


def test_inputs(data: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Test images uint8 ``(624, 28, 28, 1)`` and labels ``(624,)`` (1 = pneumonia).

    Raises
    ------
    DataUnavailableError
        The full file is not found (figures on the test split need all of it).
    """
    split = load_pneumoniamnist(data).test
    return split.images, split.labels


def example_inputs(data: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Test images to show as examples: the whole test split when the full file is found,
    else the subset shipped in ``assets/data`` (16 images, both classes;
    :mod:`medcore.datasets.pneumoniamnist_subset`)."""
    try:
        return test_inputs(data)
    except DataUnavailableError:
        if data is not None:
            raise
    subset = load_subset()
    return subset.test_images, subset.test_labels.astype(np.int64)


def training_background(n: int = 100, seed: int = 0,
                        data: str | os.PathLike | None = None) -> np.ndarray:
    """``n`` training images uint8 ``(n, 28, 28, 1)`` drawn without replacement (SHAP
    background). Without the full file (and no ``data`` given), the same draw is read from the
    subset shipped in ``assets/data`` when it holds it (``n`` = 50, ``seed`` = 0).

    Raises
    ------
    DataUnavailableError
        The full file is not found and the shipped subset does not hold this draw.
    """
    try:
        train = load_pneumoniamnist(data).train
    except DataUnavailableError:
        subset = load_subset()
        if data is not None or (n, seed) != (len(subset.train_indices), subset.background_seed):
            raise
        return subset.train_images
    return train.images[background_indices(len(train), n, seed)]


def _augmenter(seed: int):
    import keras
    from keras import layers

    # No flips: a mirrored chest film puts the heart on the right (not a plausible input).
    # Contrast and brightness: exposure and processing differ between machines and sites.
    return keras.Sequential([
        layers.RandomTranslation(0.08, 0.08, fill_mode="nearest", seed=seed),
        layers.RandomRotation(0.03, fill_mode="nearest", seed=seed + 1),
        layers.RandomZoom((-0.1, 0.1), fill_mode="nearest", seed=seed + 2),
        layers.RandomContrast(0.2, value_range=(0, 255), seed=seed + 3),
        layers.RandomBrightness(0.1, value_range=(0, 255), seed=seed + 4),
    ], name="augment")


def _train_member(index: int, seed: int, data, class_weight: dict[int, float]):
    import keras
    from tqdm.auto import tqdm

    from medcore.networks.convolutional import build_cnn

    keras.utils.set_random_seed(seed + index)
    member = build_cnn(INPUT_SHAPE, filters=FILTERS, name=f"member{index}")
    inputs = keras.Input(INPUT_SHAPE)
    trainer = keras.Model(inputs, member(_augmenter(seed + 10 * index)(inputs)))
    steps = int(np.ceil(len(data.train) / BATCH_SIZE)) * EPOCHS
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps, alpha=0.05)
    trainer.compile(optimizer=keras.optimizers.Adam(schedule),
                    loss=keras.losses.BinaryCrossentropy(from_logits=True),
                    metrics=[keras.metrics.AUC(from_logits=True, name="auc")])
    bar = tqdm(total=EPOCHS, desc=f"member {index + 1}/{NUM_MEMBERS}", unit="epoch")

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            bar.update(1)
            bar.set_postfix(loss=f"{logs['loss']:.3f}", val_auc=f"{logs['val_auc']:.4f}")

    stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=PATIENCE,
                                         restore_best_weights=True)
    history = trainer.fit(data.train.images.astype("float32"), data.train.labels,
                          batch_size=BATCH_SIZE, epochs=EPOCHS, class_weight=class_weight,
                          validation_data=(data.val.images.astype("float32"), data.val.labels),
                          callbacks=[stop, Progress()], verbose=0, shuffle=True)
    bar.close()
    best = int(np.argmax(history.history["val_auc"]))
    return member, {"epochs_run": len(history.history["loss"]), "best_epoch": best + 1,
                    "val_auc": float(history.history["val_auc"][best])}


def input_reference(images: np.ndarray) -> dict[str, list[float]]:
    """1st and 99th percentiles of the per-image mean grey level and its standard deviation
    (contrast) over ``images`` (uint8, (n, 28, 28, 1)): the range of ordinary inputs."""
    flat = np.asarray(images, dtype=float).reshape(len(images), -1)
    return {key: [round(float(v), 2) for v in np.percentile(values, [1, 99])]
            for key, values in (("mean_grey", flat.mean(axis=1)), ("contrast_sd", flat.std(axis=1)))}


def fit_platt(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Fit ``scale, offset`` minimising the log loss of ``sigmoid(scale * mean_m(z_m) + offset)``.

    Parameters
    ----------
    logits : ndarray, shape (n, members) or (n,)
    labels : ndarray, shape (n,)

    Returns
    -------
    (scale, offset) with ``scale > 0``.
    """
    from scipy.optimize import minimize
    from scipy.special import expit

    y = np.asarray(labels, dtype=float)
    mean_logit = np.asarray(logits, dtype=float).reshape(len(y), -1).mean(axis=1)

    def loss(params):
        p = np.clip(expit(np.exp(params[0]) * mean_logit + params[1]), 1e-12, 1 - 1e-12)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    result = minimize(loss, x0=np.zeros(2), method="Nelder-Mead")
    return float(np.exp(result.x[0])), float(result.x[1])


def published_anchors() -> list[dict[str, Any]]:
    """:data:`PUBLISHED` as the card's anchors: one ``{model, metric, value, data, source}``
    per figure."""
    figures = {k: v for k, v in PUBLISHED.items() if k != "source"}
    return [{"model": model, "metric": metric, "value": value,
             "data": "PneumoniaMNIST test split", "source": PUBLISHED["source"]}
            for model, values in figures.items() for metric, value in values.items()]


def train(*, data: str | os.PathLike | None = None, seed: int = 0,
          models_dir: Path | None = None) -> ModelCard:
    """Train the ensemble on the official splits, calibrate and threshold on val, save.

    Returns
    -------
    dict
        The model card as saved (with ``sha256``).

    Raises
    ------
    DataUnavailableError
        The PneumoniaMNIST file is not found.
    """
    from medcore.networks.convolutional import build_ensemble

    dataset = load_pneumoniamnist(data)
    started = time.perf_counter()
    counts = np.bincount(dataset.train.labels, minlength=2)
    class_weight = {c: float(counts.sum() / (2 * counts[c])) for c in (0, 1)}
    members, logs = [], []
    for index in range(NUM_MEMBERS):
        member, log = _train_member(index, seed, dataset, class_weight)
        members.append(member)
        logs.append(log)
    val_x = dataset.val.images.astype("float32")
    val_logits = np.concatenate([np.asarray(m(val_x, training=False)) for m in members], axis=1)
    scale, offset = fit_platt(val_logits, dataset.val.labels)
    ensemble = build_ensemble(members, scale=scale, offset=offset, name=NAME)
    val_p = np.asarray(ensemble(val_x, training=False))[:, 0]
    threshold = metrics.youden_threshold(dataset.val.labels, val_p)
    training_time = time.perf_counter() - started
    card = {
        "model_details": {
            "summary": (f"Deep ensemble of {NUM_MEMBERS} small convolutional networks (3 blocks "
                        "of two 3x3 conv + BatchNorm + ReLU, filters "
                        f"{'/'.join(map(str, FILTERS))}) that estimates the probability of "
                        "pneumonia on a 28 x 28 frontal chest radiograph (PneumoniaMNIST)."),
            "seed": seed, "training_time_s": round(training_time, 1),
            "architecture": {"members": NUM_MEMBERS},
            "training": {
                "members": NUM_MEMBERS, "epochs_max": EPOCHS, "early_stopping":
                    f"val AUC, patience {PATIENCE}, best weights restored",
                "batch_size": BATCH_SIZE, "optimizer": f"Adam, cosine decay from {LEARNING_RATE}",
                "loss": "binary cross-entropy with balanced class weights",
                "class_weight": class_weight,
                "augmentation": ("random translation +-8%, rotation +-0.03 turns (~11 degrees), "
                                 "zoom +-10%, contrast +-20%, brightness +-10% of the range; no "
                                 "flips (a mirrored chest film is not a plausible input)"),
                "per_member": logs, "cores": os.cpu_count()},
            "custom_objects_module": "medcore.networks.convolutional"},
        "intended_use": {
            "primary_uses": ("Research and teaching: demonstrating a calibrated image "
                             "classifier, its uncertainty and Grad-CAM on pediatric frontal chest "
                             "radiographs (CR/DX) reduced to 28 x 28 pixels, like "
                             "PneumoniaMNIST."),
            "out_of_scope_uses": ("Clinical diagnosis or triage of any patient; adults (trained "
                                  "on children aged 1-5 from one centre); CT, MR, ultrasound, "
                                  "lateral films or photographs; telling bacterial from viral "
                                  "pneumonia or any other finding. " + RESEARCH_USE_DISCLAIMER)},
        "factors": registry.spec(NAME).factors(),
        "metrics": CARD_METRICS,
        "evaluation_data": {
            "description": "PneumoniaMNIST (MedMNIST v2) official test split, touched only by "
                           "evaluate",
            "details": {"split": {"n": len(dataset.test),
                                  "pneumonia": int(dataset.test.labels.sum())}}},
        "training_data": {
            "description": "PneumoniaMNIST official training split (fitting) and validation "
                           "split (early stopping, calibration, threshold)",
            "details": {**SOURCE, "file": "pneumoniamnist.npz",
                        "classes": {str(i): n for i, n in enumerate(CLASS_NAMES)},
                        "splits": {s: {"n": len(getattr(dataset, s)),
                                       "pneumonia": int(getattr(dataset, s).labels.sum())}
                                   for s in ("train", "val")}}},
        "quantitative_analyses": {
            "validation": metrics.classification_report(dataset.val.labels, val_p, threshold)},
        "caveats": RESEARCH_USE_DISCLAIMER,
        "input_contract": {
            "description": ("float or uint8 pixels in 0..255, shape (n, 28, 28, 1), one grey "
                            "channel, as medcore.imaging.to_model_input returns (Rescaling to "
                            "[0, 1] is inside the model); output P(pneumonia), shape (n, 1)."),
            "output": "calibrated P(pneumonia), shape (n, 1)"},
        "threshold": {"value": threshold, "rule": THRESHOLD_RULE},
        "published_anchors": published_anchors(),
        "parameters": {
            "calibration": {"method": ("Platt scaling of the mean member logit, sigmoid(scale * "
                                       "logit + offset), fitted on the validation split by log "
                                       "loss; folded into the saved model (layer "
                                       "'calibration')"),
                            "scale": scale, "temperature": 1.0 / scale, "offset": offset},
            "input_reference": input_reference(dataset.train.images)},
    }
    return registry.save_model(ensemble, NAME, card, models_dir)


def _with_intervals(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    return metrics.report_with_ci(y, p, threshold, names=("auc", "ece", "accuracy",
                                                          "sensitivity", "specificity"))


def pixel_logistic_regression(data: str | os.PathLike | None = None) -> tuple[Any, float]:
    """Baseline: logistic regression on the 784 scaled pixels, fitted on train; threshold by
    Youden's J on val. Returns ``(fitted estimator, threshold)``."""
    from sklearn.linear_model import LogisticRegression

    dataset = load_pneumoniamnist(data)
    flat = lambda split: split.images.reshape(len(split), -1) / 255.0  # noqa: E731
    model = LogisticRegression(C=0.1, max_iter=3000).fit(flat(dataset.train), dataset.train.labels)
    threshold = metrics.youden_threshold(dataset.val.labels,
                                         model.predict_proba(flat(dataset.val))[:, 1])
    return model, threshold


def evaluate(*, data: str | os.PathLike | None = None, models_dir: Path | None = None,
             engine: str = "litert") -> dict[str, Any]:
    """Test metrics of the shipped model at its card threshold, with 95% bootstrap intervals,
    beside a pixel logistic-regression baseline fitted now. ``engine``: the runtime that scores
    the shipped model (``"litert"`` or ``"keras"``, see :func:`medcore.registry.serving_model`).

    Raises
    ------
    DataUnavailableError, ModelFileError
    """
    model = registry.serving_model(NAME, models_dir, engine=engine)
    images, labels = test_inputs(data)
    p = predict(model, images).probability
    baseline, base_threshold = pixel_logistic_regression(data)
    base_p = baseline.predict_proba(images.reshape(len(images), -1) / 255.0)[:, 1]
    return {
        "model": NAME, "dataset": "PneumoniaMNIST (MedMNIST v2) official test split",
        "n_test": int(len(labels)),
        "test": {**_with_intervals(labels, p, model.card.threshold.value),
                 "reliability": reliability(labels, p)},
        "baselines": {"pixel_logistic_regression": _with_intervals(labels, base_p,
                                                                   base_threshold)},
        "threshold_rule": THRESHOLD_RULE, "published": PUBLISHED, "engine": engine,
    }


def reliability(labels: np.ndarray, probability: np.ndarray) -> list[dict[str, float]]:
    """The reliability curve the test ECE is computed from (10 equal-width bins, non-empty
    ones): ``[{"predicted", "observed", "positives", "n"}]`` per bin, for the card."""
    predicted, positives, count = metrics.calibration_bins(labels, probability)
    return [{"predicted": round(float(m), 4), "observed": round(float(k / c), 4),
             "positives": int(k), "n": int(c)} for m, k, c in zip(predicted, positives, count)]


def assess_input(source: Any, card: ModelCard) -> Any:
    """Whether the model can judge ``source`` (:func:`medcore.models.pneumonia_cnn_scope.assess`
    on the input :func:`model_input` makes of it); arrays already 28 x 28 pass.

    Returns
    -------
    medcore.models.pneumonia_cnn_scope.Assessment
    """
    from medcore.imaging import Scan
    from medcore.models.pneumonia_cnn_scope import Assessment, assess

    if not isinstance(source, Scan):
        return Assessment(assessable=True)
    return assess(source, model_input=model_input(source), card=card)


def operating_point_sentence(evaluation: dict[str, Any] | None) -> str:
    """"At this threshold the model finds X of 100 pneumonias and wrongly flags Y of 100 normal
    radiographs", from the test metrics of the card's last ``evaluation`` ("" when none)."""
    test = (evaluation or {}).get("test") or {}
    if "sensitivity" not in test or "specificity" not in test:
        return ""
    found = round(100 * test["sensitivity"])
    flagged = round(100 * (1 - test["specificity"]))
    n = evaluation.get("n_test", "the")
    return (f"At this threshold the model finds {found} of 100 pneumonias and wrongly flags "
            f"{flagged} of 100 normal radiographs (PneumoniaMNIST test set, {n} images).")
