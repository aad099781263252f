"""The report's "The model" section, from the typed model card (Mitchell et al.'s sections):
name in words, version (first 12 hex digits of the ``.keras`` sha256), what it is, who it learnt
from, its training and test data, test performance with intervals, the published anchors and
its intended and out-of-scope uses."""
from __future__ import annotations

from typing import Any

from medcore import registry
from medcore.cards import ModelCard
from medcore.report.document import Item, Section

#: Characters of the sha256 shown as the version (as git shows a commit).
VERSION_DIGITS = 12

#: The test figures a report prints, in this order, with their names in words.
MEASURES: dict[str, str] = {
    "auc": "Area under the ROC curve", "accuracy": "Accuracy", "sensitivity": "Sensitivity",
    "specificity": "Specificity", "ppv": "Positive predictive value",
    "npv": "Negative predictive value", "c_index": "Harrell's C-index",
    "uno_c": "Uno's C-index", "integrated_brier": "Integrated Brier score",
    "brier": "Brier score", "ece": "Expected calibration error",
    "calibration_5y_mean_abs_diff": "5-year calibration gap (mean absolute)",
}


def version(card: ModelCard) -> str:
    """The model's version as the report prints it: the first 12 hex digits of its sha256."""
    return card.sha256[:VERSION_DIGITS]


def _interval(test: dict[str, Any], metric: str) -> str:
    """``" (95% interval 0.973 to 0.991)"`` or ``" (SD over folds 0.051)"``, or ``""``."""
    low_high = (test.get("ci95") or {}).get(metric)
    if low_high:
        return f" (95% interval {low_high[0]:.3f} to {low_high[1]:.3f})"
    sd = test.get(f"{metric}_sd_folds")
    return f" (SD over cross-validation folds {sd:.3f})" if isinstance(sd, (int, float)) else ""


def performance_items(card: ModelCard) -> tuple[Item, ...]:
    """The test figures of the card's last ``evaluate``, each with its interval where the card
    has one."""
    evaluation = card.evaluation or {}
    test = evaluation.get("test") or {}
    return tuple(Item(title, f"{test[metric]:.3f}{_interval(test, metric)}")
                 for metric, title in MEASURES.items()
                 if isinstance(test.get(metric), (int, float)))


def anchor_lines(card: ModelCard) -> tuple[str, ...]:
    """The published (or same-protocol) figures the model is compared with, one per line."""
    lines = []
    for anchor in card.published_anchors:
        figure = (f"{MEASURES.get(anchor.metric, anchor.metric)} {anchor.value:.3f}"
                  if anchor.metric and anchor.value is not None else "")
        parts = [anchor.model, figure, f"on {anchor.data}" if anchor.data else "", anchor.note]
        lines.append(", ".join(p for p in parts if p) + f" ({anchor.source})")
    return tuple(lines)


def model_section(name: str, card: ModelCard) -> Section:
    """The model, as its card states it."""
    evaluation = card.evaluation or {}
    items = [Item("Model", registry.spec(name).title),
             Item("Version (sha256 of the model file, first 12 digits)", version(card)),
             Item("Learnt from", card.factors.population),
             Item("Training data", card.training_data.description),
             Item("Test data", card.evaluation_data.description)]
    if evaluation:
        items.append(Item("Tested on", f"{evaluation.get('dataset', '')}, "
                                       f"{evaluation.get('n_test', '')} cases"))
    items += performance_items(card)
    if card.metrics.intervals:
        items.append(Item("Intervals", card.metrics.intervals))
    items += [Item("Published or same-protocol anchor", line) for line in anchor_lines(card)]
    items += [Item("Intended use", card.intended_use.primary_uses),
              Item("Must not be used for", card.intended_use.out_of_scope_uses)]
    return Section("The model", paragraphs=(card.model_details.summary,), items=tuple(items))
