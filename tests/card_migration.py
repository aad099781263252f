"""The one-off migration of the four shipped cards to the typed card (issue 11).

``python -m tests.card_migration`` rewrote ``assets/models/NAME.json`` from the untyped cards of
commit :data:`BEFORE` (read with ``git show``); ``tests/test_card_migration.py`` runs it again and
checks that the result is the shipped card and that every figure of the old card is in the new
one. The ``.keras`` files are untouched (same sha256).

Moved, not changed: every old field lands in one section of :class:`medcore.cards.ModelCard`.
Rewritten on purpose (:data:`REWRITTEN`): the threshold of ``pneumonia_cnn`` (a bare float and a
``threshold_rule`` -> ``{"value", "rule"}``), training ranges (``[low, high]`` pairs and separate
medians -> ``{"min", "max", "median"}``), published figures (three shapes -> one list of
anchors) and one source that cited a DESIGN.md absent from the repository.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from medcore import RESEARCH_USE_DISCLAIMER
from medcore.cards import CARD_FORMAT
from medcore.models import breast_cancer_deepsurv, breast_cancer_fnn, pbc_rnn, pneumonia_cnn
from medcore.registry import MODELS_DIR, spec

#: The last commit with untyped cards (main after the survival package moved the Cox layer).
BEFORE = "290de1e"
#: The commit that wrote the typed cards (the migration's output); later commits may change a
#: card on purpose (a new evaluation, a recalibration), so the migration is checked against it.
MIGRATED = "07938da"
NAMES = ("pneumonia_cnn", "breast_cancer_fnn", "breast_cancer_deepsurv", "pbc_rnn")
ROOT = Path(__file__).resolve().parent.parent

#: Old text values deliberately not carried over verbatim (with what replaced them).
REWRITTEN = {
    "~0.97": "value 0.97 with note 'approximately'",
    "DESIGN.md anchor; cf. Street, Wolberg, Mangasarian 1993 (~97% with 10-fold CV)":
        "source 'Street, Wolberg, Mangasarian 1993 (~97% with 10-fold CV)'",
    "Murtaugh 1994: Cox on the latest visit; the target is our own landmark Cox "
    "(landmark_coxph) on the same folds": "anchor {model, source, note}",
}


def old_card(name: str, commit: str = BEFORE) -> dict[str, Any]:
    """The card of ``name`` at ``commit`` (raises ``subprocess.CalledProcessError`` without git
    history)."""
    text = subprocess.run(["git", "show", f"{commit}:assets/models/{name}.json"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout
    return json.loads(text)


def _details(old: dict[str, Any], name: str) -> dict[str, Any]:
    return {"name": name, "version": old["sha256"], "file": old["file"],
            "summary": old["summary"], "seed": old["seed"],
            "training_time_s": old["training_time_s"],
            "custom_objects_module": old["custom_objects_module"]}


def _common(old: dict[str, Any], name: str) -> dict[str, Any]:
    return {"card_format": CARD_FORMAT,
            "intended_use": {"primary_uses": old["intended_use"],
                             "out_of_scope_uses": old["not_for"]},
            "factors": spec(name).factors(),
            "caveats": old.get("disclaimer", RESEARCH_USE_DISCLAIMER),
            "evaluation": old.get("evaluation"), "serving": None}


def _pneumonia_cnn(old: dict[str, Any]) -> dict[str, Any]:
    published = dict(old["published"])
    source = published.pop("source")
    return {
        "model_details": {**_details(old, "pneumonia_cnn"),
                          "architecture": {"members": old["training"]["members"]},
                          "training": old["training"]},
        "metrics": {**pneumonia_cnn.CARD_METRICS, "uncertainty": old["uncertainty"]},
        "evaluation_data": {"description": "PneumoniaMNIST (MedMNIST v2) official test split, "
                                           "touched only by evaluate",
                            "details": {"split": old["splits"]["test"]}},
        "training_data": {"description": "PneumoniaMNIST official training split (fitting) and "
                                         "validation split (early stopping, calibration, "
                                         "threshold)",
                          "details": {**old["data"], "splits": {k: old["splits"][k]
                                                                for k in ("train", "val")}}},
        "quantitative_analyses": {"validation": old["metrics"]["validation"]},
        "input_contract": {"description": old["input_contract"],
                           "output": "calibrated P(pneumonia), shape (n, 1)"},
        "threshold": {"value": old["threshold"], "rule": old["threshold_rule"]},
        "published_anchors": [{"model": model, "metric": metric, "value": value,
                               "data": "PneumoniaMNIST test split", "source": source}
                              for model, figures in published.items()
                              for metric, value in figures.items()],
        "parameters": {"calibration": old["calibration"],
                       "input_reference": old["input_reference"]},
    }


def _breast_cancer_fnn(old: dict[str, Any]) -> dict[str, Any]:
    contract = old["input_contract"]
    medians = contract["training_medians"]
    anchors = []
    for anchor in old["published_anchors"]:
        value = anchor["accuracy"]
        anchors.append({"model": anchor["model"], "metric": "accuracy",
                        "value": float(value.lstrip("~")), "data": "WDBC",
                        "source": anchor["source"].replace("DESIGN.md anchor; cf. ", ""),
                        "note": "approximately" if value.startswith("~") else ""})
    return {
        "model_details": {**_details(old, "breast_cancer_fnn"),
                          "architecture": old["architecture"]},
        "metrics": breast_cancer_fnn.CARD_METRICS,
        "evaluation_data": {"description": breast_cancer_fnn.EVALUATION_DATA},
        "training_data": {"description": "WDBC development split (the other 80%): model "
                                         "selection, repeated cross-validation, threshold, "
                                         "final fit",
                          "details": {**old["data"], "splits": old["splits"]}},
        "quantitative_analyses": {"model_selection": old["model_selection"],
                                  "cross_validation": old["cross_validation"],
                                  "test_at_training_time": old["metrics"]["test_at_training_time"]},
        "input_contract": {
            "description": contract["preprocessing"], "output": contract["output"],
            "feature_names": contract["feature_names"], "units": contract["units"],
            "training_ranges": {n: {"min": low, "max": high, "median": medians[n]}
                                for n, (low, high) in contract["training_ranges"].items()},
            "ranges_rule": "minimum, maximum and median on the training split",
            "details": {"shape": contract["shape"], "dtype": contract["dtype"]}},
        "threshold": old["threshold"],
        "published_anchors": anchors,
        "parameters": {},
    }


def _breast_cancer_deepsurv(old: dict[str, Any]) -> dict[str, Any]:
    contract, data = old["input_contract"], dict(old["data"])
    published = old["published"]
    anchors = [
        {"model": "Cox PH (lifelines), measured", "metric": "c_index", "data": "GBSG",
         "value": published["gbsg_c_index"]["cox_ph_lifelines_measured"],
         "source": "lifelines CoxPHFitter on the same Rotterdam -> GBSG protocol"},
        {"model": "DeepSurv", "metric": "c_index", "data": "GBSG",
         "value": published["gbsg_c_index"]["deepsurv_katzman_2018"],
         "source": "Katzman et al., BMC Med Res Methodol 18:24 (2018)"},
        {"model": "DeepSurv", "metric": "c_index", "data": "SUPPORT",
         "value": published["support_c_index_deepsurv_katzman_2018"],
         "source": "Katzman et al., BMC Med Res Methodol 18:24 (2018)"}]
    return {
        "model_details": {**_details(old, "breast_cancer_deepsurv"),
                          "architecture": old["architecture"]},
        "metrics": {**breast_cancer_deepsurv.CARD_METRICS, "uncertainty": contract["band"]},
        "evaluation_data": {"description": data.pop("test")},
        "training_data": {"description": data.pop("training"),
                          "details": {**data, "splits": old["splits"]}},
        "quantitative_analyses": {"validation": {"c_index": old["metrics"]["validation_c_index"]},
                                  "support_check": old["support_check"]},
        "input_contract": {
            "description": "raw units in feature_names order; size as its code "
                           "(details.size_codes)",
            "output": contract["output"], "feature_names": contract["feature_names"],
            "units": contract["units"], "training_ranges": contract["training_ranges"],
            "ranges_rule": "minimum, maximum and median on the training split (size as its code)",
            "details": {"shape": contract["shape"], "size_codes": contract["size_codes"]}},
        "threshold": None,
        "published_anchors": anchors,
        "parameters": {"baseline": old["baseline"], "max_years": contract["max_years"],
                       "max_years_min_share": 0.1,     # the share _max_years used, now recorded
                       "max_years_rule": contract["max_years_rule"]},
    }


def _pbc_rnn(old: dict[str, Any]) -> dict[str, Any]:
    contract, splits = dict(old["input_contract"]), dict(old["splits"])
    demo = splits.pop("demo_patient_ids")
    ranges = contract.pop("training_ranges")
    return {
        "model_details": {**_details(old, "pbc_rnn"), "architecture": old["settings"]},
        "metrics": pbc_rnn.CARD_METRICS,
        "evaluation_data": {"description": splits.pop("evaluation")},
        "training_data": {"description": splits.pop("shipped_model"),
                          "details": dict(old["data"])},
        "quantitative_analyses": {k: v for k, v in old.items()
                                  if k.startswith("settings_selection")},
        "input_contract": {
            "description": contract.pop("shape"), "output": old["output"]["meaning"],
            "feature_names": contract.pop("feature_names"),
            "training_ranges": {n: {**r, "median": None} for n, r in ranges.items()},
            "ranges_rule": "minimum and maximum over the training patients' visits",
            "details": contract},
        "threshold": None,
        "published_anchors": [{"model": "Cox on the latest visit", "source": "Murtaugh 1994",
                               "note": "the target is our own landmark Cox (landmark_coxph) "
                                       "on the same folds"}],
        "parameters": {"demo_patient_ids": demo,
                       "survival_times_years": old["output"]["survival_times_years"]},
    }


def migrate(name: str, old: dict[str, Any]) -> dict[str, Any]:
    """The typed card (JSON form) of ``name`` from its untyped card ``old``."""
    moved = {"pneumonia_cnn": _pneumonia_cnn, "breast_cancer_fnn": _breast_cancer_fnn,
             "breast_cancer_deepsurv": _breast_cancer_deepsurv, "pbc_rnn": _pbc_rnn}[name](old)
    return {**_common(old, name), **moved}


def main() -> None:
    from medcore.cards import ModelCard
    from medcore.registry import write_card

    for name in NAMES:
        card = ModelCard.from_dict(migrate(name, old_card(name)), source=f"{name} (migrated)")
        print(write_card(name, card, MODELS_DIR))


if __name__ == "__main__":
    main()
