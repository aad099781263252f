"""Explainers for the registered models: which output is explained, against which background.

What is explained comes from each model's spec (:data:`medcore.registry.SPECS`:
``explain_targets``, their output names and units) and from its module
(``explained_model(keras_model, card, target)``: the single-output Keras model explained, e.g.
DeepSurv's mean log-risk or its 5-year survival through each member's Breslow baseline). The
explainer follows the kind of input: Shapley values of the served output for tabular inputs
(:mod:`medcore.explain.served`; ``keras=True`` gives DeepExplainer on the Keras model), latest
value vs history per biomarker for visit histories (:mod:`medcore.explain.visits`), expected
gradients (``shap.GradientExplainer``) with Grad-CAM for images.

Backgrounds: each model module's ``training_background(n, seed=0)`` (a fixed seeded sample of the
training split; see :mod:`medcore.explain.tabular` for why not k-means). Sizes: 100 rows (tabular),
50 images, 50 visit histories (the gradient explainers' cost does not grow with the background,
but their background must cover the training distribution).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from medcore import registry

BACKGROUND_SIZE = {"tabular": 100, "image": 50, "sequence": 50}
#: Visit histories: the reference population of :class:`~medcore.explain.visits.
#: VisitHistoryExplainer` (training patients, each from all their visits; one permutation each).
HISTORY_REFERENCE_SIZE = 100
#: Expected-gradients samples per explanation: the additivity residual falls as 1/sqrt(n), the
#: time grows as n. 500 for images (the 4-member CNN ensemble) and visit histories: each inside
#: the 1.5 s budget on 2 shared cores (``python -m medcore bench --only explain``).
NSAMPLES = {"image": 500, "sequence": 500}


def explained_model(name: str, target: str | None = None, *, models_dir=None,
                    model: Any = None) -> Any:
    """The Keras model whose single output ``(n, 1)`` is explained for ``(name, target)``.

    Parameters
    ----------
    model : keras.Model, optional
        The model :func:`medcore.registry.load_model` returned, when the caller holds it.

    Raises
    ------
    ModelFileError
        The model is not shipped (or its file is damaged), or has no such target.
    """
    spec = registry.spec(name)
    target = spec.target(target).name
    if model is None:
        model = registry.load_model(name, models_dir)
    card = registry.load_card(name, models_dir)
    return registry.model_module(name).explained_model(model, card, target)


def feature_names(name: str) -> tuple[str, ...]:
    """The model's input feature names (empty for images)."""
    return tuple(registry.model_module(name).FEATURE_NAMES)


def uses_keras(name: str) -> bool:
    """Whether the model's explainer needs its Keras model: images (gradients: SHAP,
    Grad-CAM) and tabular models of more than ``EXACT_MAX_FEATURES`` inputs (DeepExplainer:
    exact and deterministic, where sampled Shapley values of 30 inputs varied by up to 3 pp from
    one seed to another). Smaller tabular models (:func:`served_explainer`, exact) and visit
    histories (:func:`history_explainer`) are explained on the served model, without
    TensorFlow."""
    from medcore.explain.served import EXACT_MAX_FEATURES

    spec = registry.spec(name)
    kind = spec.kind.input_kind
    if kind == "tabular":
        return len(feature_names(name)) > EXACT_MAX_FEATURES
    return kind == "image" or "static_features" not in spec.explainer_options


def build_explainer(name: str, target: str | None = None, *, data=None, models_dir=None,
                    seed: int = 0, model: Any = None, keras: bool = False) -> Any:
    """A fitted explainer for a shipped model (build once, cache it).

    Tabular models: exact Shapley values of the served output (:func:`served_explainer`) up to
    ``EXACT_MAX_FEATURES`` inputs, else (or with ``keras=True``) ``shap.DeepExplainer`` on the
    Keras model. Visit histories: :func:`history_explainer`. Images: expected
    gradients and Grad-CAM on the Keras model. ``model``: the model
    :func:`medcore.registry.load_model` returned, when the caller holds it.

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

    spec = registry.spec(name)
    chosen = spec.target(target)
    kind = spec.kind.input_kind
    if kind == "tabular" and not keras and not uses_keras(name):
        return served_explainer(name, chosen.name, data=data, models_dir=models_dir, seed=seed)
    if kind == "sequence" and not uses_keras(name):
        return history_explainer(name, chosen.name, data=data, models_dir=models_dir, seed=seed)
    explained = explained_model(name, chosen.name, models_dir=models_dir, model=model)
    labels = dict(model_name=name, output_name=chosen.output_name,
                  output_unit=chosen.output_unit)
    background = registry.model_module(name).training_background(
        n=BACKGROUND_SIZE[kind], seed=seed, data=data)
    if kind == "tabular":
        explainer = TabularExplainer(explained, feature_names=feature_names(name), **labels)
    elif kind == "image":
        explainer = ImageExplainer(explained, nsamples=NSAMPLES["image"], seed=seed, **labels)
    else:
        explainer = SequenceExplainer(explained, feature_names=feature_names(name),
                                      nsamples=NSAMPLES["sequence"], seed=seed, **labels,
                                      **spec.explainer_options)
    return explainer.fit(np.asarray(background, dtype=np.float32))


def served_output(name: str, target: str | None = None, *, models_dir=None) -> Any:
    """The explained output as the pages show it: ``predict(x) -> (n,)`` through the served
    model (LiteRT, the card's recalibration included; no TensorFlow), for a target in
    probability (``Prediction.probability``), log-odds (its logit), log-risk
    (``Prediction.log_risk``) or survival probability (at the module's ``HORIZON_YEARS``)."""
    import inspect

    module = registry.model_module(name)
    chosen = registry.spec(name).target(target)
    serving = registry.serving_model(name, models_dir)
    horizon = getattr(module, "HORIZON_YEARS", None)
    at_horizon = ({"times": np.array([horizon])} if horizon is not None and "times" in
                  inspect.signature(module.predict).parameters else {})

    def predict(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        prediction = module.predict(serving, x, **at_horizon)
        if chosen.output_unit == "survival probability":
            column = int(np.argmin(np.abs(np.asarray(prediction.times) - horizon)))
            return np.asarray(prediction.survival, dtype=float)[:, column]
        if chosen.output_unit == "log-risk":
            return np.asarray(prediction.log_risk, dtype=float)
        probability = np.asarray(prediction.probability, dtype=float)
        if chosen.output_unit == "log-odds":
            clipped = np.clip(probability, 1e-7, 1 - 1e-7)
            return np.log(clipped) - np.log1p(-clipped)
        return probability

    return predict


def served_explainer(name: str, target: str | None = None, *, data=None, models_dir=None,
                     seed: int = 0) -> Any:
    """Shapley values of a tabular model's served output (:mod:`medcore.explain.served`)
    against :data:`BACKGROUND_SIZE` training rows; no TensorFlow."""
    from medcore.explain.served import ServedShapleyExplainer

    chosen = registry.spec(name).target(target)
    background = registry.model_module(name).training_background(
        n=BACKGROUND_SIZE["tabular"], seed=seed, data=data)
    explainer = ServedShapleyExplainer(
        served_output(name, chosen.name, models_dir=models_dir),
        feature_names=feature_names(name), model_name=name, output_name=chosen.output_name,
        output_unit=chosen.output_unit, reference_name="patients the model learnt from",
        seed=seed)
    return explainer.fit(np.asarray(background, dtype=np.float32))


def history_explainer(name: str, target: str | None = None, *, data=None, models_dir=None,
                      seed: int = 0) -> Any:
    """The visit-history explainer of a sequence model (:mod:`medcore.explain.visits`): latest
    value vs history per biomarker, on the served output the Survival page shows, against
    :data:`HISTORY_REFERENCE_SIZE` training patients (the same for every patient)."""
    from medcore.explain.visits import VisitHistoryExplainer

    spec = registry.spec(name)
    chosen = spec.target(target)
    options = spec.explainer_options
    reference = registry.model_module(name).training_background(
        n=HISTORY_REFERENCE_SIZE, seed=seed, data=data)
    explainer = VisitHistoryExplainer(
        served_output(name, chosen.name, models_dir=models_dir),
        feature_names=feature_names(name), time_features=options["time_features"],
        static_features=options["static_features"], model_name=name,
        output_name=chosen.output_name, output_unit=chosen.output_unit,
        reference_name=(f"{HISTORY_REFERENCE_SIZE} patients the model learnt from, each "
                        "predicted from all their visits"), seed=seed)
    return explainer.fit(np.asarray(reference, dtype=np.float32))


def image_reference(name: str, *, data=None, seed: int = 0) -> np.ndarray:
    """The mean of the image explainer's background ``(rows, columns, channels)``: what a
    removed pixel becomes in the deletion curves, and the reference of the gradient x
    difference map (:mod:`medcore.explain.gradient_input`)."""
    background = registry.model_module(name).training_background(
        n=BACKGROUND_SIZE["image"], seed=seed, data=data)
    return np.asarray(background, dtype=np.float32).mean(axis=0)


def test_sample(name: str, n: int | None = None, *, data=None, seed: int = 0) -> np.ndarray:
    """Up to ``n`` raw test inputs of the model (all when ``n`` is None), seeded, in order.

    A module whose data may be absent can offer ``example_inputs(data)`` (test inputs, or a
    shipped subset of them without the full data): it is used instead of ``test_inputs``.
    """
    module = registry.model_module(name)
    source = getattr(module, "example_inputs", module.test_inputs)
    inputs = np.asarray(source(data=data)[0], dtype=np.float32)
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

    ``source``: what the model module's ``model_input`` takes (a ``Scan`` for images, a one-row
    records frame for tabular models, one patient's visits for sequences), or an array already
    in the model's input shape.

    Raises
    ------
    DataValidationError
        The record does not fit the model (raised by the model module's own converter).
    """
    if isinstance(source, np.ndarray):
        return source.astype(np.float32)
    return np.asarray(registry.model_module(name).model_input(source), dtype=np.float32)[0]


def learnt_directions(name: str, target: str | None, explainer: Any) -> list:
    """The model's own direction for every input with a known direction: a partial-dependence
    sweep (:func:`medcore.explain.directions.learnt_directions`) of the explained output over
    the explainer's reference patients (a history's biomarker is set at every visit).

    Returns
    -------
    list of :class:`~medcore.explain.directions.LearntDirection`
    """
    from medcore.explain.directions import learnt_directions as sweep
    from medcore.explain.sequence import visit_mask

    spec = registry.spec(name)
    chosen = spec.target(target)
    if hasattr(explainer, "reference_"):                     # a visit-history explainer
        reference = explainer.reference_
        present = visit_mask(reference, explainer.mask_value)

        def values_of(x: np.ndarray, j: int) -> np.ndarray:
            return x[present][:, j]

        def set_value(x: np.ndarray, j: int, value: float) -> np.ndarray:
            out = np.array(x, copy=True)
            out[present, j] = value
            return out

        return sweep(spec, chosen, explainer.predict, reference, explainer.feature_names,
                     values_of=values_of, set_value=set_value)
    predict = getattr(explainer, "predict", None)
    if predict is None:                                     # a Keras (SHAP) explainer
        from medcore.explain.core import scalar_output

        def predict(x: np.ndarray) -> np.ndarray:
            return scalar_output(explainer.model, x.astype(np.float32))

    return sweep(spec, chosen, predict, explainer.background_, explainer.feature_names)
