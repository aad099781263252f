"""AppTest of the audit calls in the pages: one record per upload and per distinct prediction
(not per rerun), the clinician's identity when signed in, and no patient identifier in the file.

The same in a real browser, with the server's log grepped too: ``tests/browser/test_auth.py``.
"""
from __future__ import annotations

import io
import time
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from streamlit.testing.v1 import AppTest

from medcore import audit, registry
from medcore.records import template_csv
from tests.app.tabs import open_tab

ROOT = Path(__file__).resolve().parents[2]
UPLOAD = str(ROOT / "app_pages" / "upload.py")
DIAGNOSIS = str(ROOT / "app_pages" / "diagnosis.py")
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "medcore", "client_secret": "s" * 16,
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
#: Made-up identifiers written into a real scan, then searched for in the audit file.
PATIENT_NAME, PATIENT_ID, BIRTH_DATE = "Quennell^Ottoline", "MRN-58309417", "19390217"


@pytest.fixture
def audit_log(monkeypatch, tmp_path) -> Path:
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv(audit.AUDIT_LOG_VARIABLE, str(path))
    return path


def identified_scan() -> bytes:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = PATIENT_NAME, PATIENT_ID, BIRTH_DATE
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def upload_scan(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="scan_upload").set_value([(name, data, "application/dicom")])
    return at.run()


def summary(records: list[audit.AuditRecord]) -> list[tuple]:
    return [(r.event, r.page, r.model, r.source, r.outcome) for r in records]


def test_scan_uploads_are_recorded_once_each_without_identifiers(audit_log):
    at = AppTest.from_file(UPLOAD, default_timeout=60).run()
    upload_scan(at, "junk.dcm", b"not a scan " * 40)
    assert at.error
    upload_scan(at, "scan.dcm", identified_scan())
    assert not at.exception and not at.error
    at.run()  # a rerun (a slider moved) is not another upload
    records = audit.read_records(audit_log)
    assert summary(records) == [("upload", "Upload", None, "uploaded-scan", "refused"),
                                ("upload", "Upload", None, "uploaded-scan", "accepted")]
    assert {(r.user, r.email) for r in records} == {("local", None)}
    assert len({r.session for r in records}) == 1
    text = audit_log.read_text()
    for identifier in (*PATIENT_NAME.split("^"), PATIENT_ID, BIRTH_DATE, "scan.dcm"):
        assert identifier.lower() not in text.lower()


def test_a_signed_in_clinician_is_named_by_sub_and_email(audit_log):
    at = AppTest.from_file(UPLOAD, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "sub": "clinician-07", "email": "c07@hospital.example",
               "name": "Dr Test G", "iat": int(time.time()) - 3600}
    upload_scan(at.run(), "scan.dcm", identified_scan())
    (record,) = audit.read_records(audit_log)
    assert (record.user, record.email, record.outcome) == ("clinician-07",
                                                           "c07@hospital.example", "accepted")


def test_records_uploads_are_recorded(audit_log):
    at = AppTest.from_file(UPLOAD, default_timeout=60).run()
    at.selectbox(key="records_schema").select("rotterdam").run()
    at.file_uploader(key="records_file").set_value(
        ("bad.csv", b"patient_id;age\np1;300\n", "text/csv")).run()
    at.file_uploader(key="records_file").set_value(
        ("good.csv", template_csv("rotterdam"), "text/csv")).run()
    at.run()
    assert summary(audit.read_records(audit_log)) == [
        ("upload", "Upload", None, "uploaded-records", "refused"),
        ("upload", "Upload", None, "uploaded-records", "accepted")]


@pytest.mark.skipif(not registry.is_available("breast_cancer_fnn"),
                    reason="breast_cancer_fnn is not trained and shipped")
def test_a_prediction_is_recorded_once_per_distinct_input(audit_log):
    at = open_tab(AppTest.from_file(DIAGNOSIS, default_timeout=120), "Diagnosis",
                  "breast_cancer_fnn").run()
    at.button(key="wdbc_submit").click().run()
    at.slider(key="wdbc_threshold").set_value(0.6).run()  # a rerun, the same patient
    at.number_input(key="wdbc_worst area").set_value(2000.0)
    at.button(key="wdbc_submit").click().run()
    assert not at.exception
    records = audit.read_records(audit_log)
    assert summary(records) == [("prediction", "Diagnosis", "breast_cancer_fnn", "form",
                                 "shown")] * 2
    assert records[0].model_version == audit.model_version("breast_cancer_fnn")
    assert "2000" not in audit_log.read_text()


def test_an_unwritable_audit_file_is_said_on_the_page_and_the_upload_still_works(monkeypatch,
                                                                                tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(audit.AUDIT_LOG_VARIABLE, str(blocker / "audit.jsonl"))
    at = upload_scan(AppTest.from_file(UPLOAD, default_timeout=60).run(), "scan.dcm",
                     identified_scan())
    assert not at.exception
    assert any("The audit trail could not be written" in e.value for e in at.error)
    assert at.session_state["scan"].modality == "CT"
