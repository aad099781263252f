"""AppTest of the Survival page's breast-cancer tab (``ui/survival_static.py``)."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from medcore import registry
from medcore.datasets import rotterdam_gbsg
from medcore.models import breast_cancer_deepsurv as deepsurv
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


def _spec(at: AppTest, key: str) -> dict:
    chart = next(c for c in _charts(at) if c.proto.id.endswith(key))
    return json.loads(chart.proto.spec)


def _values(field) -> np.ndarray:
    """A plotly JSON array: a list, or ``{"dtype", "bdata"}`` (base64 of the raw values)."""
    if isinstance(field, dict):
        return np.frombuffer(base64.b64decode(field["bdata"]), dtype=field["dtype"])
    return np.asarray(field)


def _submit(at: AppTest, **statuses: str) -> AppTest:
    _run(at)
    for receptor, status in statuses.items():
        at.selectbox(key=f"rfs_{receptor}_status").set_value(status)
    at.button(key="rfs_submit").click()
    return _run(at)


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
        "Recurrence-free at 1 year", "Recurrence-free at 3 years", "Recurrence-free at 5 years",
        "Recurrence-free at 10 years"]
    assert all(m.value.endswith("%") for m in at.metric)
    assert any("of 100 women like her are alive without recurrence 5 years" in m.value
               for m in at.markdown)
    assert len(_charts(at)) >= 3          # curve, icon array, with/without hormone therapy
    assert any("association" in i.value for i in at.info)
    assert any("GBSG trial reaches about 7 years" in c.value for c in at.caption)
    curve = _spec(at, "rfs_chart_curve")
    assert not any("GBSG" in (t.get("name") or "") for t in curve["data"])   # no cohort curve
    assert {a["text"] for a in curve["layout"]["annotations"]} == {
        "1 year", "3 years", "5 years", "10 years"}                         # labelled guides


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
    shown = next(d for d in at.dataframe if "rfs_5y" in d.value.columns)
    table = shown.value
    titles = deepsurv.score_titles()
    assert list(table.columns[:1 + len(titles)]) == ["patient_id", *titles]   # results first
    scored = deepsurv.score_records(registry.serving_model("breast_cancer_deepsurv"),
                                    pd.read_csv(io.BytesIO(GOOD)))
    np.testing.assert_allclose(table["rfs_5y"], 100 * scored["rfs_5y"])       # percent
    config = json.loads(shown.proto.columns)
    assert config["rfs_5y"]["label"] == "Recurrence-free at 5 years"
    assert config["rfs_5y"]["type_config"]["format"] == "%.1f%%"


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


def test_icon_arrays_count_100_women_and_match_the_curves():
    at = _submit(AppTest.from_file(PAGE, default_timeout=120))
    patient = at.session_state[PATIENT]
    served = registry.serving_model("breast_cancer_deepsurv")
    icons = _spec(at, "rfs_chart_icons")["data"]
    curves = {t["name"]: t for t in _spec(at, "rfs_chart_hormone_therapy")["data"]
              if t.get("name", "").endswith("hormone therapy")}
    for panel, year in (("x", 5.0), ("x2", 10.0)):
        drawn = [len(_values(t["x"])) for t in icons if t.get("xaxis", "x") == panel]
        assert len(drawn) == 3 and sum(drawn) == 100
        without, with_ = (float(deepsurv.predict(served, patient.assign(hormon=v))
                                .at(year)[0][0]) for v in (0, 1))
        assert drawn[0] == min(round(100 * without), round(100 * with_))
        assert drawn[1] == max(round(100 * with_) - round(100 * without), 0)
        for name, expected in (("Without hormone therapy", without),
                               ("With hormone therapy", with_)):
            times = _values(curves[name]["x"])
            at_year = _values(curves[name]["y"])[np.argmin(np.abs(times - year))]
            assert at_year == pytest.approx(expected, abs=1e-6)    # the curve drawn = the count
    sentences = [m.value for m in at.markdown if "of 100 women like her" in m.value
                 and "hormone therapy" in m.value]
    assert len(sentences) == 2 and all("recurrence or die" in s for s in sentences)


def test_er_positive_without_a_value_averages_over_training_patients():
    at = _submit(AppTest.from_file(PAGE, default_timeout=120), er="positive")
    patient = at.session_state[PATIENT]
    rotterdam = rotterdam_gbsg.load_rotterdam()
    train, _ = rotterdam_gbsg.split_rotterdam(rotterdam, validation_fraction=0.2, seed=0)
    positive = train["er"][train["er"] >= 10].to_numpy(dtype=float)
    rows = pd.concat([patient] * len(positive), ignore_index=True).assign(er=positive)
    served = registry.serving_model("breast_cancer_deepsurv")
    expected = float(deepsurv.predict(served, rows).at(5.0)[0].mean())
    metric = next(m for m in at.metric if m.label == "Recurrence-free at 5 years")
    assert metric.value == f"{expected:.0%}"
    assert any(f"{len(positive)} training patients" in i.value and "10 fmol/l" in i.value
               for i in at.info)
    own = float(deepsurv.predict(served, patient).at(5.0)[0][0])
    assert abs(own - expected) > 1e-4                 # not the typed value's estimate


def test_the_10_year_note_quotes_the_cross_validated_calibration_when_the_card_has_it():
    from medcore.models.deepsurv_internal_calibration import KEY
    from medcore.models.breast_cancer_deepsurv_view import followup_note as _followup_note

    card = registry.load_card("breast_cancer_deepsurv")
    without = card.replace(quantitative_analyses={
        k: v for k, v in card.quantitative_analyses.items() if k != KEY})
    assert "has not been done yet" in _followup_note(without)
    with_it = card.replace(quantitative_analyses={**card.quantitative_analyses, KEY: {
        "folds": 5, "n": 1546, "mean_abs_diff_10y": 0.031, "max_abs_diff_10y": 0.072}})
    note = _followup_note(with_it)
    assert "cross-validated (5 folds, 1546 women)" in note
    assert "differed by 3 percentage points on average" in note and "(at most 7)" in note
    assert "has not been done" not in note
