"""AppTest of the Explanation page: every model's tab renders without an exception, says what to
do when nothing was entered on the other pages, and explains the other pages' input; only the
open tab computes."""
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
#: Slow: the tabs load the shipped models and build their explainers (TensorFlow for two).
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


@pytest.mark.parametrize("name", MODELS)
def test_each_tab_says_what_to_do_when_nothing_is_entered_and_explains_an_example(name,
                                                                                   data_folder):
    at = open_tab(AppTest.from_file(PAGE, default_timeout=240), "Explanation",
                  name)
    at.run()
    assert not at.exception, at.exception
    errors = [shown(e.value) for e in at.error]
    assert not errors, errors
    assert len(at.tabs) == 4
    text = _text(at)
    if not registry.is_available(name):
        assert f"The `{name}` model is not built yet" in text
        return
    assert f"example_{name}" in [n.key for n in at.number_input]
    spec = registry.spec(name)
    assert spec.input_where() in text                       # the other page's real tab name
    assert "How to read this" in text and "not causal" in text
    assert "The predicted" in text and "compared with" in text
    assert at.get("plotly_chart")                    # a waterfall, an overlay or bars are drawn
    assert [x.label for x in at.expander][0] == "Technical details"
    assert "residual" not in text.split("How to read this")[0]     # method after, collapsed
    first = text.index("The predicted")
    assert first < text.index("How to read this")                   # sentence first


def test_pbc_history_from_the_survival_page_is_explained_and_global_view_renders():
    if not registry.is_available("pbc_rnn"):
        pytest.skip("pbc_rnn is not shipped yet")
    from medcore.models import pbc_rnn

    visits = pbc_rnn.demo_visits()
    patient = visits[visits["id"] == visits["id"].iloc[0]]
    at = open_tab(AppTest.from_file(PAGE, default_timeout=240), "Explanation",
                  "pbc_rnn")
    at.session_state[state.input_key(registry.spec("pbc_rnn"))] = patient
    at.run()
    assert not at.exception, at.exception
    assert "example_pbc_rnn" not in [n.key for n in at.number_input]
    text = _text(at)
    assert "compared with" in text and "100 patients the model learnt from" in text
    assert " now " in text and "Checked against what is known" in text
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
    at = open_tab(AppTest.from_file(PAGE, default_timeout=240), "Explanation",
                  "breast_cancer_fnn")
    at.session_state[state.SCAN] = scan_from_array(np.asarray(images[3, :, :, 0], np.uint8))
    at.session_state[state.input_key(registry.spec("breast_cancer_fnn"))] = features.iloc[[2]].reset_index(drop=True)
    at.run()
    assert not at.exception, at.exception
    assert "example_breast_cancer_fnn" not in [n.key for n in at.number_input]
    assert "probability of malignancy" in _text(at)
    open_tab(at, "Explanation", "pneumonia_cnn").run()
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
    text = _text(at)
    assert "11 positive lymph nodes" in text and "5-year recurrence-free survival" in text
    assert "log-risk" not in text.split("Technical details")[0]     # log-risk only in details
    assert not [t for t in at.toggle if t.key.startswith("technical_")]   # details collapsed
    at.session_state["technical_open_breast_cancer_deepsurv"] = True         # opened
    at.run()
    at.toggle(key="technical_breast_cancer_deepsurv_log_risk").set_value(True).run()
    assert not at.exception, at.exception
    assert "The predicted log-risk of recurrence or death" in _text(at)


def test_a_scan_the_model_cannot_judge_is_not_explained():
    if not registry.is_available("pneumonia_cnn"):
        pytest.skip("pneumonia_cnn is not shipped yet")
    from pydicom.data import get_testdata_file

    from medcore.imaging import load_scan

    at = open_tab(AppTest.from_file(PAGE, default_timeout=240), "Explanation",
                  "pneumonia_cnn")
    at.session_state[state.SCAN] = load_scan(get_testdata_file("CT_small.dcm"))
    at.session_state[state.SCAN_NAME] = "ct.dcm"
    at.run()
    assert not at.exception, at.exception
    assert "Not assessable by this model" in [s.value for s in at.subheader]
    text = shown(_text(at))
    assert "**Explaining:** " in text and "CT - ct.dcm" in text
    assert "probability of pneumonia" not in text
