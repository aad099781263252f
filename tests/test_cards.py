"""The typed model card: one shape for every model, validated when it is read."""
from __future__ import annotations

import copy
import json

import pytest

from medcore import registry
from medcore.cards import CARD_FORMAT, CalibrationGroup, ModelCard, Range, Threshold
from medcore.errors import ModelFileError

NAMES = ("pneumonia_cnn", "breast_cancer_fnn", "breast_cancer_deepsurv", "pbc_rnn")


def _shipped(name: str) -> dict:
    return json.loads(registry.card_path(name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_every_shipped_card_has_the_one_shape(name):
    card = registry.load_card(name)
    assert card.card_format == CARD_FORMAT and card.name == name
    assert card.sha256 == registry.sha256_of(registry.model_path(name))
    assert card.threshold is None or isinstance(card.threshold, Threshold)
    assert all(isinstance(r, Range) for r in card.input_contract.training_ranges.values())
    assert all(a.model and a.source for a in card.published_anchors)
    assert card.factors.population == registry.spec(name).population
    assert card.evaluation["model"] == name
    assert card.serving.file == f"{name}.tflite"
    tflite = registry.model_path(name).with_suffix(".tflite")
    assert card.serving.sha256 == registry.sha256_of(tflite)
    assert card.serving.details["source_sha256"] == card.sha256
    assert card.to_dict() == _shipped(name)            # reading and writing lose nothing


def test_the_classifiers_have_a_threshold_and_the_survival_models_none():
    for name, has in (("pneumonia_cnn", True), ("breast_cancer_fnn", True),
                      ("breast_cancer_deepsurv", False), ("pbc_rnn", False)):
        card = registry.load_card(name)
        assert (card.threshold is not None) is has
        if has:
            assert 0 < card.threshold.value < 1 and "Youden" in card.threshold.rule


@pytest.mark.parametrize("path, message", [
    (("threshold", "value"), "lacks the field threshold.value"),
    (("model_details", "version"), "lacks the field model_details.version"),
    (("factors",), "lacks the field factors"),
    (("evaluation", "n_test"), "lacks the field evaluation.n_test"),
])
def test_a_missing_field_is_named(path, message):
    data = copy.deepcopy(_shipped("breast_cancer_fnn"))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    with pytest.raises(ModelFileError, match=message):
        ModelCard.from_dict(data, source="breast_cancer_fnn.json")


@pytest.mark.parametrize("path, value, message", [
    (("threshold", "value"), "0.3", r"threshold.value = '0.3' \(str\); expected a number"),
    (("model_details", "seed"), 1.5, r"model_details.seed = 1.5 \(float\); expected a whole"),
    (("input_contract", "training_ranges", "mean radius"), [1, 2],
     r"input_contract.training_ranges.mean radius = \[1, 2\] \(list\); expected an object"),
    (("published_anchors",), {"model": "x"}, r"published_anchors = .*expected a list"),
    (("evaluation", "test"), [], r"evaluation.test = \[\] \(list\); expected an object"),
])
def test_a_wrongly_typed_field_is_named(path, value, message):
    data = copy.deepcopy(_shipped("breast_cancer_fnn"))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    with pytest.raises(ModelFileError, match=message):
        ModelCard.from_dict(data, source="breast_cancer_fnn.json")


def test_unknown_fields_and_old_cards_are_refused_with_the_fix():
    data = _shipped("pbc_rnn")
    with pytest.raises(ModelFileError, match="unknown field.*metrics.auc"):
        ModelCard.from_dict({**data, "metrics": {**data["metrics"], "auc": 0.9}})
    with pytest.raises(ModelFileError, match="card_format None; expected 2.*retrain"):
        ModelCard.from_dict({"name": "pbc_rnn", "threshold": 0.5})


def test_load_card_names_the_field_of_a_damaged_card(tmp_path):
    data = _shipped("breast_cancer_fnn")
    data["threshold"] = 0.5                            # the old bare-float shape
    (tmp_path / "breast_cancer_fnn.json").write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match=r"breast_cancer_fnn.json has threshold = 0.5 "
                                             r"\(float\); expected an object \(value, rule\) or null"):
        registry.load_card("breast_cancer_fnn", tmp_path)
    (tmp_path / "pbc_rnn.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="is not valid JSON"):
        registry.load_card("pbc_rnn", tmp_path)


def test_the_serving_section_is_reserved_in_one_shape():
    data = _shipped("breast_cancer_fnn")
    card = ModelCard.from_dict({**data, "serving": {"file": "breast_cancer_fnn.tflite",
                                                    "sha256": "ab" * 32, "runtime": "litert"}})
    assert card.serving.file == "breast_cancer_fnn.tflite"
    with pytest.raises(ModelFileError, match="lacks the field serving.sha256"):
        ModelCard.from_dict({**data, "serving": {"file": "x.tflite"}})


def test_update_card_replaces_a_section_and_validates_it(tmp_path):
    for suffix in (".json", ".keras"):
        source = registry.MODELS_DIR / f"breast_cancer_fnn{suffix}"
        (tmp_path / source.name).write_bytes(source.read_bytes())
    evaluation = {**registry.load_card("breast_cancer_fnn").evaluation, "n_test": 7}
    card = registry.update_card("breast_cancer_fnn", tmp_path, evaluation=evaluation)
    assert registry.load_card("breast_cancer_fnn", tmp_path).evaluation["n_test"] == 7 == \
        card.evaluation["n_test"]
    with pytest.raises(ModelFileError, match="evaluation.baselines"):
        registry.update_card("breast_cancer_fnn", tmp_path,
                             evaluation={k: v for k, v in evaluation.items() if k != "baselines"})


def test_survival_cards_carry_typed_calibration_deciles():
    for name in ("breast_cancer_deepsurv", "pbc_rnn"):
        deciles = registry.load_card(name).calibration_5y_deciles
        if not deciles:                        # a card evaluated before the deciles existed
            continue
        assert len(deciles) == 10
        assert all(isinstance(d, CalibrationGroup) and 0 <= d.predicted <= 1
                   and 0 <= d.observed <= 1 and d.n > 0 for d in deciles)
        predicted = [d.predicted for d in deciles]
        assert predicted == sorted(predicted)   # decile 1 = lowest predicted survival
    assert registry.load_card("breast_cancer_deepsurv").calibration_5y_deciles


@pytest.mark.parametrize("value, message", [
    ([{"predicted": 0.2, "observed": 0.3}], r"lacks the field "
     r"evaluation.test.calibration_5y_deciles\[0\].n"),
    ([{"predicted": "0.2", "observed": 0.3, "n": 5}], r"evaluation.test.calibration_5y_deciles"
     r"\[0\].predicted = '0.2' \(str\); expected a number"),
    ({"predicted": 0.2}, r"evaluation.test.calibration_5y_deciles = .* expected a list"),
])
def test_malformed_calibration_deciles_are_named(value, message):
    data = copy.deepcopy(_shipped("breast_cancer_deepsurv"))
    data["evaluation"]["test"]["calibration_5y_deciles"] = value
    with pytest.raises(ModelFileError, match=message):
        ModelCard.from_dict(data, source="breast_cancer_deepsurv.json")
    assert ModelCard.from_dict(_shipped("breast_cancer_deepsurv")).calibration_5y_deciles
