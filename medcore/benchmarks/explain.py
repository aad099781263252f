"""Bench group ``explain``: explanation latency, KernelExplainer comparison, faithfulness.

Figures (all medians over warm calls on one input unless said otherwise):

- ``tabular_explain_ms`` (target 300), ``image_explain_ms`` and ``sequence_explain_ms``
  (targets 1,500), with each explainer's additivity residual: the first shipped model of the
  registry whose inputs are tabular, images or visit sequences.
- ``NAME_TARGET_explain_ms`` and ``NAME_TARGET_max_abs_residual`` for every target of every
  shipped survival model (e.g. ``breast_cancer_deepsurv_survival_5y_explain_ms``).
- ``kernel_explainer_ms`` and ``kernel_agreement``: ``shap.KernelExplainer`` (what a
  model-agnostic dashboard runs) on the same model, background and test rows;
  ``kernel_agreement`` is the mean Spearman rank correlation of its attributions with ours over
  all features, ``kernel_agreement_top10`` over KernelExplainer's 10 largest. DeepLIFT (our
  30-input model's explainer) is a path method, KernelExplainer estimates Shapley values: on a
  network with interactions they need not rank small contributions alike.
- ``deletion_*``: deletion curves (most-attributed pixels first vs random order, removed pixels
  replaced by the mean training image) on test images the CNN calls pneumonia; area under the
  curve of the pneumonia probability, lower = more faithful; mean curves included. Orders: SHAP,
  Grad-CAM, and ``gradient_input`` (gradient x difference from the mean training image,
  :mod:`medcore.explain.gradient_input`), the map the Diagnosis page shows.

A part whose model is not shipped reports ``explain_<part>_skipped`` instead.
"""
from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from medcore import registry
from medcore.benchmarks import median_ms
from medcore.registry import ModelKind

KERNEL_ROWS = 5
DELETION_IMAGES = 24
DELETION_STEPS = 20


def _first(input_kind: str) -> str | None:
    """The first shipped model whose inputs are of ``input_kind`` (``None`` when none is)."""
    return next((s.name for s in registry.specs() if s.kind.input_kind == input_kind
                 and s.explain_targets and registry.is_available(s.name)), None)


def _tabular(data) -> dict[str, Any]:
    from medcore.explain.models import build_explainer, test_sample

    name = _first("tabular")
    if name is None:
        return {"explain_tabular_skipped": "no tabular model shipped"}
    explainer = build_explainer(name, data=data)
    rows = test_sample(name, 100, data=data)
    figures: dict[str, Any] = {"tabular_explain_model": name,
                               "tabular_explain_method": explainer.method_label_,
                               "tabular_explain_ms": median_ms(lambda: explainer.explain(rows[0]))}
    residuals = explainer.explain_global(rows).residuals
    figures["tabular_additivity_max_abs_residual"] = float(np.abs(residuals).max())
    figures.update(_kernel(explainer, rows[:KERNEL_ROWS], figures["tabular_explain_ms"]))
    for spec in registry.specs(kind=ModelKind.SURVIVAL):
        if not registry.is_available(spec.name):
            continue
        sample = test_sample(spec.name, 100, data=data)
        for target in spec.explain_targets:
            surv = build_explainer(spec.name, target.name, data=data)
            key = f"{spec.name}_{target.name}"
            figures[f"{key}_explain_ms"] = median_ms(lambda: surv.explain(sample[0]))
            figures[f"{key}_max_abs_residual"] = float(
                np.abs(surv.explain_global(sample).residuals).max())
    return figures


def _kernel(explainer, rows: np.ndarray, ours_ms: float) -> dict[str, Any]:
    """KernelExplainer on ``rows``: its time, rank agreement with ours, and its time over
    ``ours_ms`` (our warm time on ``rows[0]``)."""
    import shap
    from scipy.stats import spearmanr

    from medcore.explain.core import scalar_output

    def predict(x):
        x = np.asarray(x, dtype=np.float32)
        served = getattr(explainer, "predict", None)
        return served(x) if served is not None else scalar_output(explainer.model, x)

    with warnings.catch_warnings(action="ignore"):
        kernel = shap.KernelExplainer(predict, explainer.background_)
        times, rhos, top_rhos = [], [], []
        for row in rows:
            start = time.perf_counter()
            values = np.asarray(kernel.shap_values(row[None], silent=True)).reshape(-1)
            times.append((time.perf_counter() - start) * 1000.0)
            ours = explainer.explain(row).attributions
            rhos.append(spearmanr(values, ours).statistic)
            top = np.argsort(-np.abs(values))[:10]
            top_rhos.append(spearmanr(values[top], ours[top]).statistic)
    kernel_ms = round(float(np.median(times)), 1)
    return {"kernel_explainer_ms": kernel_ms, "kernel_agreement": round(float(np.mean(rhos)), 4),
            "kernel_agreement_min": round(float(np.min(rhos)), 4),
            "kernel_agreement_top10": round(float(np.mean(top_rhos)), 4),
            "kernel_rows": len(rows), "kernel_speedup": round(kernel_ms / ours_ms, 1)}


def _timed(name: str, data) -> tuple[Any, np.ndarray, float]:
    """A shipped model's explainer, all its test inputs, and the median ms of explaining the
    first input warm (5 calls after 1): the latency protocol of images and sequences."""
    from medcore.explain.models import build_explainer, test_sample

    explainer = build_explainer(name, data=data)
    inputs = test_sample(name, data=data)
    return explainer, inputs, median_ms(lambda: explainer.explain(inputs[0]), repeats=5, warmup=1)


def _image(data) -> dict[str, Any]:
    name = _first("image")
    if name is None:
        return {"explain_image_skipped": "no image model shipped"}
    from medcore.explain.core import scalar_output
    from medcore.explain.faithfulness import image_faithfulness
    from medcore.explain.models import positive_sample

    explainer, images, ms = _timed(name, data)
    e = explainer.explain(images[0])
    figures: dict[str, Any] = {"image_explain_ms": ms, "image_explain_method": e.method,
                               "image_relative_residual": round(e.relative_residual, 4)}

    scores = scalar_output(explainer.model, images)
    sample = images[positive_sample(scores, DELETION_IMAGES)]
    shap_maps, curves = image_faithfulness(explainer, sample, steps=DELETION_STEPS, seed=0)
    gaps = scalar_output(explainer.model, sample) - explainer.base_value_
    residuals = np.abs(gaps - shap_maps.sum(axis=(1, 2))) / np.maximum(np.abs(gaps), 1e-3)
    figures["image_relative_residual_median"] = round(float(np.median(residuals)), 4)
    figures["deletion_images"] = int(len(sample))
    figures["deletion_steps"] = DELETION_STEPS
    for label, curve in curves.items():
        figures[f"deletion_auc_{label}"] = round(curve.auc_attribution, 4)
        figures[f"deletion_auc_random_vs_{label}"] = round(curve.auc_random, 4)
        figures[f"deletion_curve_{label}"] = np.round(curve.attribution.mean(axis=0), 4).tolist()
        figures["deletion_curve_random"] = np.round(curve.random.mean(axis=0), 4).tolist()
    return figures


def _sequence(data) -> dict[str, Any]:
    name = _first("sequence")
    if name is None:
        return {"explain_sequence_skipped": "no sequence model shipped"}
    explainer, sequences, ms = _timed(name, data)
    explanations = [explainer.explain(s) for s in sequences]
    relative = [e.relative_residual for e in explanations]
    return {"sequence_explain_ms": ms, "sequence_explain_method": explanations[0].method,
            "sequence_relative_residual_median": round(float(np.median(relative)), 4),
            "sequence_patients": int(len(sequences))}


def run(*, data=None) -> dict[str, Any]:
    """All explain figures; a part whose model or data is missing is reported as skipped."""
    from medcore.errors import MedcoreError

    figures: dict[str, Any] = {}
    for part, func in (("tabular", _tabular), ("image", _image), ("sequence", _sequence)):
        try:
            figures.update(func(data))
        except MedcoreError as exc:
            figures[f"explain_{part}_skipped"] = str(exc)
    return figures
