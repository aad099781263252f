"""AppTest of the Explanation page: every model's tab renders without an exception, says what to
do when nothing was entered on the other pages, and explains the other pages' input."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from medcore import registry
from ui import state
from tests.app.shown import shown
from tests.app.tabs import open_tab

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "explanation.py")
#: Slow: every tab loads a shipped TensorFlow model and builds its SHAP explainer.
pytestmark = pytest.mark.slow
MODELS = ("breast_cancer_fnn", "breast_cancer_deepsurv", "pneumonia_cnn", "pbc_rnn")


def _text(at: AppTest) -> str:
    return " ".join([m.value for m in at.markdown] + [i.value for i in at.info]
                    + [c.value for c in at.caption])


@pytest.fixture(params=["no data folder", "data folder"])
def data_folder(request, monkeypatch):
    """Both ways the dashboard runs: with the README's first command only (no MEDCORE_DATA_DIR:
    the chest tab uses the subset shipped in assets/data), and with the full file."""
    if request.param == "no data folder":
        monkeypatch.delenv("MEDCORE_DATA_DIR", raising=False)
    elif not os.environ.get("MEDCORE_DATA_DIR"):
        pytest.skip("MEDCORE_DATA_DIR is not set")
    return request.param


def test_page_renders_every_tab_and_says_what_to_do_when_nothing_is_entered(data_folder):
    at = AppTest.from_file(PAGE, default_timeout=240)
    for name in MODELS:                       # only the open tab runs: open each in turn
        open_tab(at, "Explanation", name).run()
        assert not at.exception, at.exception
        errors = [shown(e.value) for e in at.error]
        assert not errors, errors
        text = _text(at)
        assert "How to read this" in text and "not causal" in text
        assert len(at.tabs) == 4
        if registry.is_available(name):
            assert f"example_{name}" in [n.key for n in at.number_input]
        else:
            assert f"The `{name}` model is not built yet" in text
        if name == "breast_cancer_fnn":
            if registry.is_available(name):
                assert "score a patient on the Diagnosis page" in text
            else:
                assert "Nothing to explain" in text or "not built yet" in text


@pytest.mark.parametrize("name", MODELS)
def test_each_available_model_gives_a_sentence_and_a_chart(name):
    if not registry.is_available(name):
        pytest.skip(f"{name} is not shipped yet (run python -m medcore train {name})")
    at = open_tab(AppTest.from_file(PAGE, default_timeout=240), "Explanation", name).run()
    assert not at.exception, at.exception
    text = _text(at)
    assert "The predicted" in text and "residual" in text
    keys = {c.proto.id for c in at.get("plotly_chart")}
    assert keys  # a waterfall, an overlay or a heatmap is drawn


def test_pbc_history_from_the_survival_page_is_explained_and_global_view_renders():
    if not registry.is_available("pbc_rnn"):
        pytest.skip("pbc_rnn is not shipped yet")
    from medcore.models import pbc_rnn

    visits = pbc_rnn.demo_visits()
    patient = visits[visits["id"] == visits["id"].iloc[0]]
    at = open_tab(AppTest.from_file(PAGE, default_timeout=240), "Explanation", "pbc_rnn")
    at.session_state[state.input_key(registry.spec("pbc_rnn"))] = patient
    at.run()
    assert not at.exception, at.exception
    assert "example_pbc_rnn" not in [n.key for n in at.number_input]
    assert f"Of the {len(patient)} visits" in _text(at)
    at.toggle(key="global_pbc_rnn").set_value(True).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="dependence_pbc_rnn").value


def test_scan_and_wisconsin_patient_from_the_other_pages_are_explained(data_dir):
    import numpy as np

    if not (registry.is_available("pneumonia_cnn") and registry.is_available("breast_cancer_fnn")):
        pytest.skip("pneumonia_cnn or breast_cancer_fnn is not shipped yet")
    from medcore.imaging import scan_from_array
    from medcore.models import breast_cancer_fnn, pneumonia_cnn

    images, _ = pneumonia_cnn.test_inputs()
    features, _ = breast_cancer_fnn.test_inputs()
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state[state.SCAN] = scan_from_array(np.asarray(images[3, :, :, 0], np.uint8))
    at.session_state[state.input_key(registry.spec("breast_cancer_fnn"))] = features.iloc[[2]].reset_index(drop=True)
    open_tab(at, "Explanation", "breast_cancer_fnn").run()
    assert not at.exception, at.exception
    assert "example_breast_cancer_fnn" not in [n.key for n in at.number_input]
    assert "probability of malignancy" in _text(at)
    open_tab(at, "Explanation", "pneumonia_cnn").run()       # only the open tab runs
    assert not at.exception, at.exception
    assert "example_pneumonia_cnn" not in [n.key for n in at.number_input]
    assert "probability of pneumonia" in _text(at)
    at.radio(key="overlay_pneumonia_cnn").set_value("grad_cam").run()
    at.slider(key="opacity_pneumonia_cnn").set_value(0.8).run()
    assert not at.exception, at.exception
    at.toggle(key="global_pneumonia_cnn").set_value(True).run()
    assert not at.exception, at.exception
    assert "Deletion curves" in _text(at)


def test_survival_patient_from_the_survival_page_is_explained_on_both_targets():
    if not registry.is_available("breast_cancer_deepsurv"):
        pytest.skip("breast_cancer_deepsurv is not shipped yet")
    import pandas as pd

    patient = pd.DataFrame([{"hormon": 0, "age": 48.0, "meno": 0, "size": ">50", "grade": 2,
                             "nodes": 11, "pgr": 0.0, "er": 0.0}])
    at = open_tab(AppTest.from_file(PAGE, default_timeout=240), "Explanation",
                  "breast_cancer_deepsurv")
    at.session_state[state.input_key(registry.spec("breast_cancer_deepsurv"))] = patient
    at.run()
    assert not at.exception, at.exception
    assert "example_breast_cancer_deepsurv" not in [n.key for n in at.number_input]
    assert "11 positive lymph nodes" in _text(at)
    at.radio(key="target_breast_cancer_deepsurv").set_value("survival_5y").run()
    assert not at.exception, at.exception
    assert "5-year recurrence-free survival" in _text(at)


def test_a_scan_the_model_cannot_judge_is_not_explained():
    if not registry.is_available("pneumonia_cnn"):
        pytest.skip("pneumonia_cnn is not shipped yet")
    from pydicom.data import get_testdata_file

    from medcore.imaging import load_scan

    at = open_tab(AppTest.from_file(PAGE, default_timeout=240), "Explanation", "pneumonia_cnn")
    at.session_state[state.SCAN] = load_scan(get_testdata_file("CT_small.dcm"))
    at.session_state[state.SCAN_NAME] = "ct.dcm"
    at.run()
    assert not at.exception, at.exception
    assert "Not assessable by this model" in [s.value for s in at.subheader]
    text = shown(_text(at))
    assert "**Explaining:** " in text and "CT - ct.dcm" in text
    assert "probability of pneumonia" not in text
