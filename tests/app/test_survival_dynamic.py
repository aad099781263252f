"""AppTest of the Survival page's PBC tab (``ui/survival_dynamic.py``)."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from medcore import registry
from medcore.models import pbc_rnn
from medcore.records import load_records
from ui import state
from ui.survival_dynamic import UPLOADED
from tests.app.shown import shown
from tests.app.tabs import open_tab

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
    at = open_tab(AppTest.from_file(PAGE, default_timeout=120), "Survival", "pbc_rnn")
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


DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")
#: A patient as ill as the PBC data hold: the model gives a very low 5-year survival.
DYING = {**VISIT, "bili": 25.0, "albumin": 2.0, "protime": 15.0, "alk.phos": 3000.0,
         "ast": 250.0, "platelet": 90.0, "ascites": 1, "hepato": 1, "spiders": 1, "edema": 1.0,
         "stage": 4, "age": 70.0}


def test_high_risk_headline_says_what_the_calibration_supports():
    rows = [{"id": "H", "day": d, **DYING} for d in (0, 180, 365)]
    records = load_records(pd.DataFrame(rows).to_csv(index=False).encode(), "pbc_visits")
    at = run_page(records, source=UPLOADED)
    assert not at.exception
    headline = next(m.value for m in at.markdown if "From visits 1 to 3" in m.value)
    assert " 0 of 100" not in headline and "100 of 100" not in headline
    survival = float(pbc_rnn.survival_at(*_curve(at), pbc_rnn.HORIZON_YEARS)[0])
    deciles = registry.load_card("pbc_rnn").calibration_5y_deciles
    if round(100 * survival) < 5:
        assert "fewer than 5 of 100" in headline.lower()
    if deciles:                                      # the observed figure of its decile is said
        nearest = min(deciles, key=lambda d: abs(d.predicted - survival))
        observed = round(100 * nearest.observed)
        assert (f"{observed} of 100" if observed else "fewer than 1 of 100") in headline


def _curve(at):
    history = at.session_state[HISTORY]
    times, by_visit, _ = pbc_rnn.survival_by_visit(registry.serving_model("pbc_rnn"), history)
    return times, by_visit[-1:]


def test_uploaded_file_starting_at_day_750_is_drawn_from_zero():
    at = run_page(uploaded({"L": [750]}), source=UPLOADED)
    assert not at.exception
    curve = next(c for c in at.get("plotly_chart") if "probability alive" in c.proto.spec)
    assert _values(json.loads(curve.proto.spec)["data"][-1]["x"])[0] == 0.0
    assert any("the last 0.0 years after the first visit" in m.value for m in at.markdown)


def _values(field) -> np.ndarray:
    """A plotly JSON array: a list, or ``{"dtype", "bdata"}`` (base64 of the raw values)."""
    if isinstance(field, dict):
        return np.frombuffer(base64.b64decode(field["bdata"]), dtype=field["dtype"])
    return np.asarray(field)


def test_tab_source_patient_and_slider_survive_a_visit_to_another_page():
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.session_state[state.RECORDS] = {"pbc_visits": uploaded({"A": [0, 180, 400, 700],
                                                                "B": [0, 90]})}
    at.run()
    at.session_state["Survival_tab_chosen"] = registry.spec("pbc_rnn").section("Survival").tab
    at.switch_page("app_pages/survival.py").run()
    at.radio(key="pbc_source").set_value(UPLOADED).run()
    at.selectbox(key="pbc_patient_upload").set_value("A").run()
    at.slider(key="pbc_as_of_visit").set_value(2).run()
    at.switch_page("app_pages/upload.py").run()
    assert not at.exception
    at.switch_page("app_pages/survival.py").run()
    assert not at.exception
    assert at.radio(key="pbc_source").value == UPLOADED
    assert at.selectbox(key="pbc_patient_upload").value == "A"
    assert at.slider(key="pbc_as_of_visit").value == 2
    assert any("From visits 1 to 2" in m.value for m in at.markdown)
    assert at.session_state["Survival_tab"] == at.tabs[1].label
