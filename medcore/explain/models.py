"""Explainers for the shipped models: which output is explained, against which background.

- ``breast_cancer_fnn``: ``probability`` (P(malignant), the default, read in percentage points)
  or ``logit`` (log-odds, the additive scale of a sigmoid network); DeepExplainer.
- ``breast_cancer_deepsurv``: ``log_risk`` (ensemble mean of each member's log-risk, centred on
  its average training patient) or ``survival_5y`` (ensemble mean of
  ``S(5 y) = exp(-H0_k(5) exp(eta_k))`` with each member's Breslow baseline); DeepExplainer.
- ``pneumonia_cnn``: ``probability`` (calibrated ensemble P(pneumonia)); GradientExplainer and
  Grad-CAM.
- ``pbc_rnn``: ``survival_5y`` (P(alive 5 years after the last visit), the model's 5-year grid
  column); GradientExplainer on visits x features.

Backgrounds: each model module's ``training_background(n, seed=0)`` (a fixed seeded sample of the
training split; see :mod:`medcore.explain.tabular` for why not k-means). Sizes: 100 rows (tabular),
50 images, 50 visit histories (the gradient explainers' cost does not grow with the background,
but their background must cover the training distribution).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from medcore import registry

#: Targets per model; the first is the default.
TARGETS: dict[str, tuple[str, ...]] = {
    "breast_cancer_fnn": ("probability", "logit"),
    "breast_cancer_deepsurv": ("log_risk", "survival_5y"),
    "pneumonia_cnn": ("probability",),
    "pbc_rnn": ("survival_5y",),
}
#: Input kind per model.
KINDS: dict[str, str] = {"breast_cancer_fnn": "tabular", "breast_cancer_deepsurv": "tabular",
                         "pneumonia_cnn": "image", "pbc_rnn": "sequence"}
#: (output name, output unit) per (model, target).
OUTPUTS: dict[tuple[str, str], tuple[str, str]] = {
    ("breast_cancer_fnn", "probability"): ("probability of malignancy", "probability"),
    ("breast_cancer_fnn", "logit"): ("log-odds of malignancy", "log-odds"),
    ("breast_cancer_deepsurv", "log_risk"): ("log-risk of recurrence or death", "log-risk"),
    ("breast_cancer_deepsurv", "survival_5y"): ("5-year recurrence-free survival",
                                                "survival probability"),
    ("pneumonia_cnn", "probability"): ("probability of pneumonia", "probability"),
    ("pbc_rnn", "survival_5y"): ("probability of being alive 5 years after the last visit",
                                 "survival probability"),
}
BACKGROUND_SIZE = {"tabular": 100, "image": 50, "sequence": 50}
HORIZON_YEARS = 5.0
#: Expected-gradients samples per explanation: the additivity residual falls as 1/sqrt(n), the
#: time grows as n. 500 for images (a 3-member CNN ensemble) and visit histories: each inside the
#: 1.5 s budget on 2 shared cores (``python -m medcore bench --only explain``).
NSAMPLES = {"image": 500, "sequence": 500}


model_module = registry.model_module


def _check_target(name: str, target: str | None) -> str:
    targets = TARGETS[name]
    target = target or targets[0]
    if target not in targets:
        raise ValueError(f"{name} has no explanation target {target!r}; expected one of "
                         f"{', '.join(targets)}.")
    return target


def explained_model(name: str, target: str | None = None, *, models_dir=None) -> Any:
    """The Keras model whose single output ``(n, 1)`` is explained for ``(name, target)``.

    Raises
    ------
    ModelFileError
        The model is not shipped (or its file is damaged).
    ValueError
        Unknown target.
    """
    import keras

    from medcore.explain.core import _single
    from medcore.explain.heads import CenteredMean
    from medcore.explain.sequence import select_output
    from medcore.explain.tabular import logit_model, survival_at_horizon_model

    target = _check_target(name, target)
    if name == "breast_cancer_deepsurv":
        predictor = model_module(name).load_predictor(models_dir)
        model = predictor.model
        if target == "log_risk":
            head = CenteredMean(predictor.log_risk_centers.tolist(), name="mean_log_risk")
            return keras.Model(_single(model.inputs), head(model.outputs[0]),
                               name=f"{name}_{target}")
        from medcore.survival import BreslowBaseline

        hazards = [float(BreslowBaseline(predictor.baseline_times, h).at([HORIZON_YEARS])[0])
                   for h in predictor.cumulative_hazards]
        return survival_at_horizon_model(model, hazards)
    model = registry.load_model(name, models_dir)
    if target == "logit":
        return logit_model(model)
    if name == "pbc_rnn":
        edges = np.asarray(model_module(name).EDGES[1:], dtype=float)
        return select_output(model, int(np.argmin(np.abs(edges - HORIZON_YEARS))))
    return model if model.outputs[0].shape[-1] == 1 else select_output(model, 0)


def feature_names(name: str) -> tuple[str, ...]:
    """The model's input feature names (empty for images)."""
    return () if KINDS[name] == "image" else tuple(model_module(name).FEATURE_NAMES)


def build_explainer(name: str, target: str | None = None, *, data=None, models_dir=None,
                    seed: int = 0) -> Any:
    """A fitted explainer for a shipped model (expensive: build once, cache it).

    Returns
    -------
    TabularExplainer, ImageExplainer or SequenceExplainer

    Raises
    ------
    ModelFileError
        The model is not shipped.
    DataUnavailableError
        The training data for the background is absent.
    """
    from medcore.explain.image import ImageExplainer
    from medcore.explain.sequence import SequenceExplainer
    from medcore.explain.tabular import TabularExplainer

    target = _check_target(name, target)
    kind = KINDS[name]
    model = explained_model(name, target, models_dir=models_dir)
    output_name, output_unit = OUTPUTS[(name, target)]
    labels = dict(model_name=name, output_name=output_name, output_unit=output_unit)
    background = model_module(name).training_background(n=BACKGROUND_SIZE[kind], seed=seed,
                                                        data=data)
    if kind == "tabular":
        explainer = TabularExplainer(model, feature_names=feature_names(name), **labels)
    elif kind == "image":
        explainer = ImageExplainer(model, nsamples=NSAMPLES["image"], seed=seed, **labels)
    else:
        explainer = SequenceExplainer(model, feature_names=feature_names(name),
                                      nsamples=NSAMPLES["sequence"], seed=seed,
                                      time_feature="years_since_first_visit", **labels)
    return explainer.fit(np.asarray(background, dtype=np.float32))


def test_sample(name: str, n: int | None = None, *, data=None, seed: int = 0) -> np.ndarray:
    """Up to ``n`` raw test inputs of the model (all when ``n`` is None), seeded, in order."""
    inputs = np.asarray(model_module(name).test_inputs(data=data)[0], dtype=np.float32)
    if n is None or n >= len(inputs):
        return inputs
    rows = np.random.default_rng(seed).choice(len(inputs), size=n, replace=False)
    return inputs[np.sort(rows)]


def positive_sample(scores: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of up to ``n`` inputs scored >= 0.5 (the model calls them positive), seeded:
    the images whose pneumonia evidence a deletion curve removes."""
    positive = np.flatnonzero(np.asarray(scores) >= 0.5)
    chosen = np.random.default_rng(seed).choice(positive, size=min(n, positive.size),
                                                replace=False)
    return np.sort(chosen)


def patient_input(name: str, source: Any) -> np.ndarray:
    """One input in the model's raw units from what the other pages keep in session state.

    ``source``: a ``Scan`` (pneumonia_cnn), a one-row DataFrame (breast_cancer_fnn: WDBC columns;
    breast_cancer_deepsurv: Rotterdam covariates), a visits DataFrame (pbc_rnn), or an array
    already in the model's input shape.

    Raises
    ------
    DataValidationError
        The record does not fit the model (raised by the model module's own converter).
    """
    import pandas as pd

    module = model_module(name)
    if isinstance(source, np.ndarray):
        return source.astype(np.float32)
    if name == "pneumonia_cnn":
        from medcore.imaging import to_model_input

        return to_model_input(source)[0]
    if name == "breast_cancer_deepsurv":
        return module.to_model_array(source)[0]
    if name == "pbc_rnn":
        return module.visits_to_arrays(source).x[0]
    if isinstance(source, pd.DataFrame):
        converter = getattr(module, "to_model_array", None)
        if converter is not None:
            return np.asarray(converter(source), dtype=np.float32)[0]
        return source[list(module.FEATURE_NAMES)].to_numpy(dtype=np.float32)[0]
    raise TypeError(f"Cannot make a {name} input from a {type(source).__name__}.")
