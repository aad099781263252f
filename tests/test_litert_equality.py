"""The shipped .tflite files answer as the shipped .keras models on every real input (1e-5).

Slow: each test loads TensorFlow and a Keras model. The largest differences are also printed by
``python -m medcore bench --only serving`` (``serving_NAME_max_abs_diff``).
"""
from __future__ import annotations

import pytest

from medcore import registry
from medcore.benchmarks.serving import largest_differences, real_inputs
from tests.conftest import pneumoniamnist_file

TOLERANCE = 1e-5
#: How many real inputs each comparison covers (all of them).
COUNTS = {"pneumonia_cnn": 624, "breast_cancer_fnn": 569,
          "breast_cancer_deepsurv": 2982 + 686, "pbc_rnn": 1945}
OUTPUTS = {"pneumonia_cnn": {"probability", "member_probabilities"},
           "breast_cancer_fnn": {"probability"}, "breast_cancer_deepsurv": {"log_risk"},
           "pbc_rnn": {"survival"}}


def _compare(name: str, data=None) -> None:
    if not registry.model_path(name).with_suffix(".tflite").is_file():
        pytest.skip(f"{name}.tflite is not exported (python -m medcore export {name})")
    x = real_inputs(name, data)
    assert len(x) == COUNTS[name]
    differences = largest_differences(name, x)
    assert set(differences) == OUTPUTS[name]
    assert max(differences.values()) <= TOLERANCE, differences


@pytest.mark.slow
def test_pneumonia_cnn_on_all_624_test_images(data_dir):
    pneumoniamnist_file(data_dir)  # skips, saying why, when the file is absent
    _compare("pneumonia_cnn", data_dir)


@pytest.mark.slow
def test_breast_cancer_fnn_on_every_wdbc_record():
    _compare("breast_cancer_fnn")


@pytest.mark.slow
def test_breast_cancer_deepsurv_on_every_rotterdam_and_gbsg_record():
    _compare("breast_cancer_deepsurv")


@pytest.mark.slow
def test_pbc_rnn_on_every_prefix_of_every_patients_visits():
    _compare("pbc_rnn")


def test_pbc_rnn_evaluated_through_litert_keeps_the_cards_figures():
    """The card's LiteRT check (``python -m bench.pbc_litert_check --store``): the first repeat
    of the landmark protocol scored by LiteRT gives the C-index of the same repeat through Keras
    and the card's calibration, within the noise the card reports."""
    from bench.pbc_litert_check import KEY

    check = registry.load_card("pbc_rnn").quantitative_analyses.get(KEY)
    if check is None:
        pytest.skip("pbc_rnn's LiteRT evaluation is not recorded in its card")
    litert = check["litert_first_repeat"]
    assert check["engine"] == "litert"
    assert abs(litert["c_index"] - check["keras_card_first_repeat_c_index"]) <= \
        check["keras_card_sd"]["c_index_sd_repeats"]
    keras = check["keras_card_all_repeats"]
    assert abs(litert["calibration_5y_mean_abs_diff"] - keras["calibration_5y_mean_abs_diff"]) \
        <= 3 * check["keras_card_sd"]["calibration_5y_mean_abs_diff_sd_repeats"]
    assert abs(litert["brier"] - keras["brier"]) <= 0.01


def test_the_litert_check_reads_the_figures_it_compares():
    from bench.pbc_litert_check import compare

    evaluation = registry.load_card("pbc_rnn").evaluation
    comparison = compare({**evaluation, "engine": "litert"})
    assert comparison["litert_first_repeat"] == comparison["keras_card_all_repeats"]
    assert comparison["litert_first_repeat"]["c_index"] == evaluation["test"]["c_index"]
    assert comparison["keras_card_first_repeat_c_index"] == \
        evaluation["test"]["c_index_by_repeat"][0]


@pytest.mark.slow
def test_the_gradient_map_through_litert_is_tensorflows_on_all_624_test_images(data_dir):
    """``pneumonia_cnn.map.tflite`` (the Diagnosis page's map, no TensorFlow) against the map
    TensorFlow's gradient gives (:func:`gradient_times_difference`, the Explanation page's).
    Max pooling routes the gradient to the larger of near-equal values, and the two runtimes
    round those few values differently, so a handful of images differ at a pixel or two; on the
    shipped model: 618 of 624 within 1e-5, the largest difference 0.0025 (maps reach 0.32), every
    map correlated >= 0.9996 with TensorFlow's."""
    import numpy as np

    from medcore.explain.gradient_input import gradient_times_difference
    from medcore.explain.models import image_reference
    from medcore.models import pneumonia_cnn

    pneumoniamnist_file(data_dir)
    x = np.asarray(pneumonia_cnn.test_inputs(data=data_dir)[0], np.float32)
    assert len(x) == COUNTS["pneumonia_cnn"]
    litert = registry.load_gradient_map("pneumonia_cnn")(x)
    keras = gradient_times_difference(registry.load_model("pneumonia_cnn"), x,
                                      image_reference("pneumonia_cnn"))
    worst = np.abs(litert - keras).reshape(len(x), -1).max(axis=1)
    assert (worst <= TOLERANCE).mean() >= 0.98, np.sort(worst)[-10:]
    assert worst.max() <= 0.01, worst.max()
    for a, b in zip(litert, keras):
        if b.std() > 0:
            assert np.corrcoef(a.ravel(), b.ravel())[0, 1] >= 0.999
