"""AppTest of the Diagnosis page's tabular half (app_pages/diagnosis.py, second tab)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from medcore import registry
from medcore.schemas import WDBC
from ui import state
from tests.app.shown import shown
from tests.app.tabs import open_tab

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "diagnosis.py")

#: Slow: every render of this page loads shipped TensorFlow models (until they are served
#: without TensorFlow) and computes the test-split figures.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not registry.is_available("breast_cancer_fnn"),
                                 reason="breast_cancer_fnn is not trained and shipped")]


def _wdbc_csv(n: int = 8) -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).data.head(n)
    frame.insert(0, "patient_id", [f"p{i}" for i in range(n)])
    return frame


def _page() -> AppTest:
    return open_tab(AppTest.from_file(PAGE, default_timeout=90), "Diagnosis", "breast_cancer_fnn")


def _scored_table(at: AppTest) -> pd.DataFrame:
    tables = [d.value for d in at.dataframe if "P(malignant)" in d.value.columns]
    assert len(tables) == 1
    return tables[0]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_empty_state_shows_form_and_test_statistics():
    at = _page().run()
    assert not at.exception
    assert len([n for n in at.number_input if n.key.startswith("wdbc_")]) == 30
    assert at.number_input(key="wdbc_mean radius").value == pytest.approx(
        registry.load_card("breast_cancer_fnn").input_contract.medians["mean radius"])
    values = _metrics(at)
    assert "P(malignant)" not in values
    for label in ("Sensitivity", "Specificity", "PPV", "NPV"):
        assert values[label].endswith("%")
    assert any("No breast-aspirate records" in i.value for i in at.info)


def test_form_submit_shows_probability_and_stores_patient():
    at = _page().run()
    at.number_input(key="wdbc_worst area").set_value(6000.0)
    at.button(key="wdbc_submit").click().run()
    assert not at.exception
    value = _metrics(at)["P(malignant)"]
    assert value.endswith("%") and 0.0 <= float(value.rstrip("%")) <= 100.0
    patient = at.session_state[state.input_key(registry.spec("breast_cancer_fnn"))]
    assert list(patient.columns) == WDBC.feature_names and len(patient) == 1
    assert patient["worst area"].iloc[0] == 6000.0
    assert any("Worst area (px²) = 6000 is above the training range" in shown(w.value)
               for w in at.warning)
    assert any("Research use only" in c.value for c in at.caption)


def test_threshold_slider_moves_the_statistics():
    at = _page().run()
    at.slider(key="wdbc_threshold").set_value(0.01).run()
    low = _metrics(at)
    at.slider(key="wdbc_threshold").set_value(0.99).run()
    high = _metrics(at)
    assert not at.exception
    assert low["Sensitivity"] == "100.0%"
    assert float(high["Specificity"].rstrip("%")) >= float(low["Specificity"].rstrip("%"))


def test_only_the_open_chart_is_drawn_and_follows_the_threshold():
    at = _page().run()
    # first the confusion matrix, a table (no plotly chart to redraw at each slider move)
    assert not at.get("plotly_chart")
    table = next(m.value for m in at.markdown if m.value.startswith("| n = "))
    assert "**truly malignant** | false negative: **" in table
    at.slider(key="wdbc_threshold").set_value(0.01).run()
    low = next(m.value for m in at.markdown if m.value.startswith("| n = "))
    assert "false negative: **0** (0%)" in low and low != table
    at.session_state["wdbc_chart"] = "ROC curve"          # the clinician opens another chart
    at.slider(key="wdbc_threshold").set_value(0.2).run()
    charts = at.get("plotly_chart")
    assert len(charts) == 1 and "wdbc_chart_ROC curve" in charts[0].proto.id
    assert "threshold 0.20" in charts[0].proto.spec
    assert not at.exception


def test_the_one_patient_call_follows_the_threshold_slider():
    at = _page().run()
    at.number_input(key="wdbc_worst area").set_value(6000.0)     # far outside: still estimated
    at.button(key="wdbc_submit").click().run()
    probability = float(_metrics(at)["P(malignant)"].rstrip("%")) / 100
    label = "This patient, called at threshold"
    at.slider(key="wdbc_threshold").set_value(0.01).run()
    assert _metrics(at)[f"{label} 0.01"] == "malignant"
    at.slider(key="wdbc_threshold").set_value(0.99).run()
    expected = "malignant" if probability >= 0.99 else "benign"
    assert _metrics(at)[f"{label} 0.99"] == expected
    assert not at.exception


def test_records_from_upload_page_are_scored_and_downloadable():
    at = _page()
    at.session_state[state.RECORDS] = {"wdbc": _records(_wdbc_csv(8))}
    at.run()
    assert not at.exception and not at.error
    table = _scored_table(at)
    assert len(table) == 8
    assert list(table.columns[:3]) == ["patient_id", "P(malignant)", "call"]
    assert set(table["call"]) <= {"malignant", "benign"}
    assert any("8** records scored" in m.value for m in at.markdown)


def _records(frame: pd.DataFrame) -> pd.DataFrame:
    from medcore.records import load_records

    return load_records(frame.to_csv(index=False).encode(), WDBC)


@pytest.mark.parametrize("make, message", [
    (lambda f: f.assign(**{"mean radius": ["big"] + [13.0] * 7}), "mean radius"),
    (lambda f: f.drop(columns=["worst area", "area error"]), "worst area"),
    (lambda f: f.assign(**{"mean area": [-5.0] + [500.0] * 7}), "mean area"),
    (lambda f: f.assign(**{"worst texture": [None] * 3 + [20.0] * 5}), "worst texture"),
    (lambda f: f.iloc[:0], "header but no records"),
])
def test_bad_csv_shows_error_and_the_rest_still_works(make, message):
    at = _page().run()
    data = make(_wdbc_csv(8)).to_csv(index=False).encode()
    at.file_uploader(key="wdbc_records_upload").set_value(("bad.csv", data, "text/csv")).run()
    assert not at.exception
    assert at.error and message in shown(at.error[0].value)
    assert state.RECORDS not in at.session_state or "wdbc" not in at.session_state[state.RECORDS]
    assert "Sensitivity" in _metrics(at)  # statistics still render
    at.button(key="wdbc_submit").click().run()
    assert not at.exception and "P(malignant)" in _metrics(at)


def test_good_upload_here_is_scored_and_kept():
    at = _page().run()
    data = _wdbc_csv(5).to_csv(index=False).encode()
    at.file_uploader(key="wdbc_records_upload").set_value(("ok.csv", data, "text/csv")).run()
    assert not at.exception and not at.error
    assert len(_scored_table(at)) == 5
    assert len(at.session_state[state.RECORDS]["wdbc"]) == 5


def test_extra_columns_are_ignored_with_a_note():
    at = _page().run()
    data = _wdbc_csv(4).assign(diagnosis="M", site="A").to_csv(index=False).encode()
    at.file_uploader(key="wdbc_records_upload").set_value(("extra.csv", data, "text/csv")).run()
    assert not at.exception and not at.error
    assert any("ignored 2 columns" in shown(c.value) for c in at.caption)
    assert "diagnosis" not in _scored_table(at).columns
