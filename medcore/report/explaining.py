"""The report's "Why the model said so" section, through the explanation API
(:mod:`medcore.explain`): the explainer the Explanation page uses (``build_explainer``, default
target of the model's spec), its sentence in words (``describe_in_words``) and its figure
(``medcore.plots.explanation``). Explainers are built once per process (expensive: Keras and a
SHAP background) and shared by every report; they are never mutated.
"""
from __future__ import annotations

import collections
import functools
import threading
from typing import Any

import numpy as np

from medcore import registry
from medcore.plots import palette
from medcore.explain.core import input_key
from medcore.report.document import Figure, Section

_LOCK = threading.Lock()


@functools.lru_cache(maxsize=None)
def keras_model(name: str) -> Any:
    """The Keras model of ``name`` (for gradients), loaded once per process."""
    return registry.load_model(name)


@functools.lru_cache(maxsize=None)
def _explainer(name: str, target: str) -> Any:
    from medcore.explain.models import build_explainer

    return build_explainer(name, target, model=keras_model(name))


def explainer(name: str, target: str | None = None) -> Any:
    """The fitted explainer of ``name`` for ``target`` (default: the spec's first), built once
    per process (one thread builds it; the others wait)."""
    chosen = registry.spec(name).target(target).name
    with _LOCK:
        return _explainer(name, chosen)


#: Explanations kept (most recent first): a PDF and an HTML report of the patient on screen,
#: or a second click, explain once.
CACHED_EXPLANATIONS = 32
_EXPLAINED: collections.OrderedDict[tuple[str, str, str], Any] = collections.OrderedDict()


def explain(name: str, x: np.ndarray, target: str | None = None) -> Any:
    """The explanation of one model input ``x`` (the model's raw units, without batch axis),
    kept for the :data:`CACHED_EXPLANATIONS` latest inputs (explanations are seeded, so a kept
    one equals a recomputed one)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    chosen = registry.spec(name).target(target).name
    key = (name, chosen, input_key(name, x))
    with _LOCK:
        if key in _EXPLAINED:
            _EXPLAINED.move_to_end(key)
            return _EXPLAINED[key]
    explanation = explainer(name, chosen).explain(x)
    with _LOCK:
        _EXPLAINED[key] = explanation
        while len(_EXPLAINED) > CACHED_EXPLANATIONS:
            _EXPLAINED.popitem(last=False)
    return explanation


def explanation_section(name: str, x: np.ndarray) -> Section:
    """The explanation of ``x`` as the Explanation page gives it: the sentence in words, the
    method and additivity check, and the waterfall (tabular, visit histories) or the SHAP map
    (images)."""
    from medcore.explain import describe_in_words
    from medcore.plots.explanation import image_overlay, waterfall

    explanation = explain(name, x)
    technical = (f"Technical details: {explanation.method}; reference (base value) "
                 f"{explanation.base_value:.4f}, output {explanation.output:.4f}, additivity "
                 f"residual {explanation.residual:+.2e}. The attributions describe the model, "
                 "not the patient's biology: they are not causal.")
    colours = (f"orange: {palette.WORSE_LABEL}; blue: {palette.BETTER_LABEL}")
    if explanation.kind == "image":
        figure = Figure("What moved the probability of pneumonia, over the model's 28 x 28 input",
                        image_overlay(explanation, layer="shap", opacity=0.5),
                        f"SHAP values in percentage points ({colours}: raised or lowered the "
                        f"probability of pneumonia). {technical}", width=560, height=480)
    else:
        chart = waterfall(explanation)
        figure = Figure("What moved this estimate (percentage points)", chart,
                        "Each bar: how much one input moved the estimate away from the "
                        f"reference named in the sentence above ({colours}). {technical}",
                        height=int(chart.layout.height or 480))
    return Section("Why the model said so",
                   paragraphs=(describe_in_words(explanation, top=3),),
                   figures=(figure,))
