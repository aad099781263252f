"""AppTest of the Survival page's PBC tab (``ui/survival_dynamic.py``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from medcore import registry
from medcore.records import load_records
from ui import state
from ui.survival_dynamic import UPLOADED
from tests.app.shown import shown

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "survival.py")

#: Slow: every render of this page loads shipped TensorFlow models (until they are served
#: without TensorFlow) (both tabs: DeepSurv and the RNN).
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not registry.is_available("pbc_rnn"),
                                 reason="pbc_rnn is not trained yet")]
#: Where the page keeps the chosen history for the Explanation page.
HISTORY = state.input_key(registry.spec("pbc_rnn"))

VISIT = {"age": 50.0, "sex": "f", "trt": 1, "bili": 1.2, "albumin": 3.5, "protime": 10.5,
         "alk.phos": 1200.0, "ast": 100.0, "platelet": 250.0, "chol": 300.0, "ascites": 0,
         "hepato": 1, "spiders": 0, "edema": 0.0, "stage": 3}


def uploaded(days_by_patient: dict) -> pd.DataFrame:
    rows = [{"id": p, "day": d, **VISIT} for p, days in days_by_patient.items() for d in days]
    return load_records(pd.DataFrame(rows).to_csv(index=False).encode(), "pbc_visits")


def run_page(records: pd.DataFrame | None = None, source: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    if records is not None:
        at.session_state[state.RECORDS] = {"pbc_visits": records}
    at.run()
    if source is not None:
        at.radio(key="pbc_source").set_value(source).run()
    return at


def stored(at: AppTest, key: str) -> bool:
    try:
        at.session_state[key]
    except KeyError:
        return False
    return True


def chart_keys(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def test_example_patient_shows_curves_and_stores_history():
    at = run_page()
    assert not at.exception
    assert chart_keys(at) >= 3
    assert stored(at, HISTORY)
    assert any("of 100" in m.value for m in at.markdown)
    at.slider(key="pbc_as_of_visit").set_value(1).run()
    assert not at.exception
    assert any("From visits 1 to 1" in m.value for m in at.markdown)


def test_no_upload_says_where_to_upload():
    at = run_page(source=UPLOADED)
    assert not at.exception
    assert any("Upload page" in i.value for i in at.info)


def test_uploaded_visits_out_of_order_name_patient_and_row():
    # load_records refuses visits out of time order (the Upload page lists such rows); a table
    # put together in code can still reach this page: here rows 3 and 4 swapped after loading.
    records = uploaded({4: [0, 200, 300]}).iloc[[0, 2, 1]].reset_index(drop=True)
    records.attrs["rows"] = [2, 3, 4]
    at = run_page(records, source=UPLOADED)
    assert not at.exception
    assert any("patient 4" in shown(e.value) and "Row 4" in shown(e.value) for e in at.error)
    # the last good history (the example patient of the first run) stays in place
    assert "4" not in set(at.session_state[HISTORY]["id"].astype(str))


def test_uploaded_single_visit_patient_gets_a_warning_and_a_curve():
    at = run_page(uploaded({"A": [0, 180, 400], "B": [0]}), source=UPLOADED)
    at.selectbox(key="pbc_patient_upload").set_value("B").run()
    assert not at.exception
    assert any("patient B" in shown(w.value) and "only visit" in shown(w.value)
               for w in at.warning)
    assert chart_keys(at) >= 3
