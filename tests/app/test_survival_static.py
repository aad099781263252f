"""AppTest of the Survival page's breast-cancer tab (``ui/survival_static.py``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from medcore import registry
from medcore.records import template_csv
from ui import state

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "survival.py")

#: Slow: every render of this page loads shipped TensorFlow models (until they are served
#: without TensorFlow) (both tabs: DeepSurv and the RNN).
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not registry.is_available("breast_cancer_deepsurv"),
                                 reason="breast_cancer_deepsurv is not trained yet")]
#: Where the page keeps the patient for the Explanation page.
PATIENT = state.input_key(registry.spec("breast_cancer_deepsurv"))

GOOD = (b"patient_id,hormon,age,meno,size,grade,nodes,pgr,er\n"
        b"a,0,55,1,20-50,3,4,40,60\nb,1,45,0,<=20,2,1,200,150\n")
BAD = b"patient_id,hormon,age,meno,size,grade,nodes\np1,0,300,1,<=20,2,-1\n"


def _charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception
    return at


def test_empty_state_asks_for_values():
    at = _run(AppTest.from_file(PAGE, default_timeout=120))
    assert any("Predict survival" in i.value for i in at.info)
    assert at.number_input(key="rfs_age").value == pytest.approx(56.0)   # training median


def test_form_gives_a_curve_numbers_and_a_sentence():
    at = _run(AppTest.from_file(PAGE, default_timeout=120))
    at.number_input(key="rfs_nodes").set_value(10)
    at.button(key="rfs_submit").click()
    _run(at)
    patient = at.session_state[PATIENT]
    assert isinstance(patient, pd.DataFrame) and patient["nodes"].iloc[0] == 10
    labels = [m.label for m in at.metric]
    assert [label for label in labels if label.startswith("Recurrence-free at")] == [
        "Recurrence-free at 1 year", "Recurrence-free at 3 years", "Recurrence-free at 5 years"]
    assert all(m.value.endswith("%") for m in at.metric)
    assert any("of 100 women like her are alive without recurrence 5 years" in m.value
               for m in at.markdown)
    assert len(_charts(at)) >= 3          # curve, icon array, with/without hormone therapy
    assert any("association" in i.value for i in at.info)


def test_out_of_training_range_value_is_flagged():
    at = _run(AppTest.from_file(PAGE, default_timeout=120))
    at.number_input(key="rfs_nodes").set_value(55)
    at.button(key="rfs_submit").click()
    _run(at)
    assert any("nodes" in w.value for w in at.warning)


def test_records_csv_is_scored_and_downloadable():
    at = _run(AppTest.from_file(PAGE, default_timeout=120))
    at.file_uploader(key="rfs_records_file").set_value(("p.csv", GOOD, "text/csv"))
    _run(at)
    table = next(d.value for d in at.dataframe if "rfs_5y" in d.value.columns)
    assert len(table) == 2 and table["rfs_5y"].between(0, 1).all()


def test_bad_csv_gives_an_error_and_no_exception():
    at = _run(AppTest.from_file(PAGE, default_timeout=120))
    at.file_uploader(key="rfs_records_file").set_value(("bad.csv", BAD, "text/csv"))
    _run(at)
    assert at.error and any("pgr" in e.value or "er" in e.value for e in at.error)


def test_template_row_from_the_upload_page_can_be_picked():
    from medcore.records import load_records

    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[state.RECORDS] = {"rotterdam": load_records(template_csv("rotterdam"),
                                                                 "rotterdam")}
    _run(at)
    at.radio(key="rfs_source").set_value("Pick an uploaded record")
    _run(at)
    at.button(key="rfs_use_record").click()
    _run(at)
    assert isinstance(at.session_state[PATIENT], pd.DataFrame)
    assert any(m.label == "Recurrence-free at 5 years" for m in at.metric)
