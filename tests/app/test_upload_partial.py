"""AppTest of issue 18 on the Upload page: partial success, skipped files, good rows, Excel.

A zip or a multi-file upload loads what it can and lists what it skipped in one collapsed
section; a records file with some bad rows lists them and offers to continue with the good
ones; an .xlsx is read like a CSV (sheet picker when it has several sheets); text from the
files reaches Markdown escaped.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.data import get_testdata_file
from streamlit.testing.v1 import AppTest

from tests.app.shown import shown
from tests.test_imaging_series import zipped
from tests.test_upload_corpus_records import MESSY, csv_rows, rotterdam, with_cell, xlsx
from ui import state

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "upload.py")
CT = Path(get_testdata_file("CT_small.dcm")).read_bytes()


def page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def upload_scans(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader(key="scan_upload").set_value(
        [(name, data, "application/octet-stream") for name, data in files])
    return at.run()


def upload_records(at: AppTest, name: str, data: bytes, schema: str = "rotterdam") -> AppTest:
    at.selectbox(key="records_schema").set_value(schema).run()
    at.file_uploader(key="records_file").set_value((name, data, "application/octet-stream"))
    return at.run()


def expander(at: AppTest, label: str):
    matches = [e for e in at.expander if e.label.startswith(label)]
    assert matches, f"no expander labelled {label!r}: {[e.label for e in at.expander]}"
    return matches[0]


def test_a_zip_with_notes_and_a_macos_fork_loads_and_lists_the_note():
    data = zipped({"1.dcm": CT, "notes.txt": b"scanned on CT2", "__MACOSX/._1.dcm": b"fork"})
    at = upload_scans(page(), ("x.zip", data))
    assert not at.exception and not at.error
    assert at.session_state[state.SCAN].n_frames == 1
    skipped = expander(at, "Skipped 1 file")
    text = shown(skipped.markdown[0].value)
    assert text.startswith("- **x.zip/notes.txt**: holds a text file, not a DICOM image")
    assert "__MACOSX" not in text                          # skipped silently


def test_adding_the_right_file_to_an_uploader_holding_a_wrong_one_works():
    at = upload_scans(page(), ("wrong.dcm", b"not a scan " * 50))
    assert "wrong.dcm holds a text file" in shown(at.error[0].value)
    assert state.SCAN not in at.session_state
    at = upload_scans(at, ("wrong.dcm", b"not a scan " * 50), ("ct.dcm", CT))
    assert not at.exception and not at.error
    assert at.session_state[state.SCAN].modality == "CT"
    assert at.session_state[state.SCAN_NAME] == "ct.dcm"            # the file that loaded
    assert "wrong.dcm" in shown(expander(at, "Skipped 1 file").markdown[0].value)


def test_nothing_new_loads_and_the_earlier_scan_stays():
    at = upload_scans(page(), ("ct.dcm", CT))
    good = at.session_state[state.SCAN]
    at = upload_scans(at, ("DICOMDIR", Path(get_testdata_file("DICOMDIR")).read_bytes()),
                      ("notes.txt", b"hello"))
    assert not at.exception
    assert "holds no usable image" in shown(at.error[0].value)
    assert at.session_state[state.SCAN] is good and len(at.get("plotly_chart")) == 1


def test_an_upload_over_the_limit_is_refused_with_the_limit(monkeypatch):
    import ui.scan_upload

    monkeypatch.setattr(ui.scan_upload, "MAX_UPLOAD_BYTES", 10_000)
    at = upload_scans(page(), ("a.dcm", CT), ("b.dcm", CT))
    assert not at.exception and state.SCAN not in at.session_state
    assert "The upload (2 files) is 0 MB together; expected at most 0 MB per upload" in shown(
        at.error[0].value)


def test_some_bad_rows_are_listed_and_the_good_ones_kept_on_request():
    at = upload_records(page(), "messy.csv", MESSY)
    assert not at.exception and not at.error
    assert "rotterdam" not in at.session_state[state.RECORDS]         # not before the choice
    warning = shown(at.warning[0].value)
    assert warning.startswith("7 of 9 records in messy.csv have problems")
    problems = next(d.value for d in at.dataframe if "expected" in d.value.columns)
    assert problems["row"].tolist() == [3, 4, 5, 6, 7, 8, 9]           # every one listed
    assert problems.loc[0, "found"] == "'12 mm'"
    assert "write the number alone" in problems.loc[0, "expected"]
    rejected = expander(at, "The 7 rows left out")
    assert rejected.dataframe[0].value.loc[3, "age"] == "12 mm"
    at.button(key="records_continue").click().run()
    assert not at.exception
    kept = at.session_state[state.RECORDS]["rotterdam"]
    assert kept.attrs["rows"] == [2, 10] and len(kept) == 2
    assert any("Using the 2 good records" in i.value for i in at.info)
    assert any("2 records from messy.csv" in shown(s.value) for s in at.success)
    assert any("7 of 9 records left out" in shown(c.value) for c in at.caption)


def test_all_rows_bad_is_an_error_that_shows_the_cell_as_text():
    data = rotterdam(with_cell("p1", "age", "![x](http://127.0.0.1:9/p.png)"))
    at = upload_records(page(), "bad.csv", data)
    assert not at.exception
    message = at.error[0].value
    assert "![x](" not in message and r"\!\[x\]\(http\:\/\/127\.0\.0\.1" in message
    assert "received '![x](http://127.0.0.1:9/p.png)'" in shown(message)
    assert not at.button                                   # nothing good to continue with


def test_excel_with_several_sheets_gets_a_sheet_picker():
    data = xlsx({"Read me": [["records on the next sheet"]],
                 "Patients": csv_rows(rotterdam("p1", "p2", "p3"))})
    at = upload_records(page(), "patients.xlsx", data)
    assert not at.exception
    picker = at.selectbox(key="records_sheet")
    assert picker.options == ["Read me", "Patients"]
    assert picker.value == "Patients"                  # the sheet whose header fits the schema
    assert not at.exception and not at.error
    assert len(at.session_state[state.RECORDS]["rotterdam"]) == 3
    picker.set_value("Read me").run()
    assert "missing required columns" in shown(at.error[0].value)
    assert len(at.session_state[state.RECORDS]["rotterdam"]) == 3     # the good ones stay
    picker.set_value("Patients").run()
    assert any("Read from sheet 'Patients' of the workbook (2 sheets)" in shown(c.value)
               for c in at.caption)


@pytest.mark.parametrize("name,data,message", [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel 97-2003 workbook (.xls)"),
    ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
     "password-protected"),
])
def test_xls_and_encrypted_workbooks_say_how_to_save_them(name, data, message):
    at = upload_records(page(), name, data)
    assert not at.exception
    text = shown(at.error[0].value)
    assert message in text and "CSV UTF-8" in text


def test_a_records_file_over_the_limit_is_refused_before_it_is_read(monkeypatch):
    import ui.records_upload

    monkeypatch.setattr(ui.records_upload, "MAX_BYTES", 100)
    at = upload_records(page(), "big.csv", rotterdam("p1", "p2", "p3"))
    assert not at.exception
    assert "expected at most 0 MB of patient records per file" in shown(at.error[0].value)


def test_tables_of_upload_text_export_no_formula():
    # Streamlit's table toolbar offers "Download as CSV" of what is shown: text cells that a
    # spreadsheet would read as formulas are shown (and so exported) with a leading apostrophe.
    data = rotterdam('"=HYPERLINK(""http://127.0.0.1:9"")"', "p2")
    at = upload_records(page(), "ids.csv", data)
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "Patient ID" in d.value.columns)
    assert table["Patient ID"].tolist() == ["'=HYPERLINK(\"http://127.0.0.1:9\")", "p2"]
    assert table["Age at surgery (years)"].tolist() == [56.0, 56.0]
    kept = at.session_state[state.RECORDS]["rotterdam"]
    assert kept["patient_id"].iloc[0] == '=HYPERLINK("http://127.0.0.1:9")'   # data unchanged
