"""The audit trail's records: their vocabulary, their file, and what they refuse to hold."""
from __future__ import annotations

import json
import stat
import threading

import pytest

from medcore import audit, registry
from medcore.audit import AuditRecord


def prediction(**changes) -> AuditRecord:
    fields = dict(event=audit.PREDICTION, user="8f14e45f-ceea-467f-a0e6-1a2b3c4d5e6f",
                  email="a.clinician@hospital.example", page="Diagnosis", outcome="shown",
                  model="pneumonia_cnn", model_version="e61c07543564", source="uploaded-scan",
                  session="3f9a0c1b2d4e5f60")
    return AuditRecord(**{**fields, **changes})


def test_a_record_is_one_json_line_with_the_fields_in_a_fixed_order():
    line = prediction(time="2026-12-02T09:14:03.512Z").to_json()
    assert "\n" not in line
    assert list(json.loads(line)) == ["time", "event", "user", "page", "outcome", "email",
                                      "model", "model_version", "source", "session"]
    assert json.loads(line)["time"] == "2026-12-02T09:14:03.512Z"


def test_the_time_is_utc_with_milliseconds():
    assert prediction().time.endswith("Z") and len(prediction().time) == 24


@pytest.mark.parametrize("field, value, message", [
    ("event", "viewed", "audit event='viewed'; expected one of"),
    ("outcome", "0.87", "audit outcome='0.87'; expected one of"),    # a predicted value
    ("page", "John Smith", "audit page='John Smith'; expected one of"),
    ("source", "PAT-00123", "audit source='PAT-00123'; expected one of"),
    ("user", "John Smith", "expected 'local' or an OIDC subject"),  # a name has a space
    ("email", "Smith^John", "expected an e-mail address or None"),
    ("session", "PAT-00123", "expected 16 lower-case hex digits"),
    ("model", "john_smith", "audit model='john_smith'; expected one of"),
    ("model_version", "19700101", "expected the first 12 hex digits"),
    ("time", "2026-12-02 09:14", "expected UTC as"),
])
def test_a_value_outside_the_vocabulary_is_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        prediction(**{field: value})


def test_each_event_has_its_own_outcomes():
    with pytest.raises(ValueError, match="audit outcome='refused'"):
        prediction(outcome="refused")
    AuditRecord(event=audit.UPLOAD, user="local", page="Upload", outcome="refused",
                source="uploaded-scan")


def test_a_prediction_names_its_model_and_an_upload_does_not():
    with pytest.raises(ValueError, match="without model and model_version"):
        prediction(model=None, model_version=None)
    with pytest.raises(ValueError, match="names a model"):
        AuditRecord(event=audit.UPLOAD, user="local", page="Upload", outcome="accepted",
                    model="pneumonia_cnn", model_version="e61c07543564")


def test_the_local_user_has_no_email():
    with pytest.raises(ValueError, match="email given for the local user"):
        prediction(user="local")


def test_the_model_version_is_the_cards_sha256_prefix():
    card = registry.load_card("pneumonia_cnn")
    digest = getattr(card, "sha256", None) or card["sha256"]
    assert audit.model_version("pneumonia_cnn") == digest[:12]


def test_the_file_defaults_to_audit_jsonl_in_the_working_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(audit.AUDIT_LOG_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    assert audit.audit_log_path() == tmp_path / "audit" / "audit.jsonl"
    monkeypatch.setenv(audit.AUDIT_LOG_VARIABLE, str(tmp_path / "elsewhere.jsonl"))
    assert audit.audit_log_path() == tmp_path / "elsewhere.jsonl"


def test_log_event_creates_an_owner_only_folder_and_file_and_appends(monkeypatch, tmp_path):
    path = tmp_path / "audit" / "audit.jsonl"
    monkeypatch.setenv(audit.AUDIT_LOG_VARIABLE, str(path))
    audit.log_event(audit.SIGN_IN, user="clinician-01", email="c01@hospital.example",
                    page="Home", outcome="success", session="0123456789abcdef")
    written = audit.log_event(audit.PREDICTION, user="clinician-01",
                              email="c01@hospital.example", page="Diagnosis", outcome="shown",
                              model="breast_cancer_fnn", source="form")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    records = audit.read_records(path)
    assert [r.event for r in records] == ["sign-in", "prediction"]
    assert records[1] == written
    assert records[1].model_version == audit.model_version("breast_cancer_fnn")


def test_a_refused_record_writes_nothing(tmp_path):
    path = tmp_path / "audit.jsonl"
    with pytest.raises(ValueError):
        audit.log_event(audit.UPLOAD, user="local", page="Upload", outcome="0.93", path=path)
    assert not path.exists()


def test_an_unwritable_file_says_how_to_fix_it(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(audit.AuditLogError, match="set MEDCORE_AUDIT_LOG to a writable path"):
        audit.log_event(audit.SIGN_OUT, user="local", page="Home", outcome="success",
                        path=blocker / "audit.jsonl")


def test_concurrent_sessions_write_whole_lines(tmp_path):
    path = tmp_path / "audit.jsonl"

    def write(n: int) -> None:
        for _ in range(50):
            audit.append(prediction(session=f"{n:016x}"), path)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(audit.read_records(path)) == 400


def test_read_records_names_the_bad_line(tmp_path):
    path = tmp_path / "audit.jsonl"
    good = prediction().to_json()
    tampered = json.loads(good) | {"patient_name": "Smith^John"}
    path.write_text(good + "\n" + json.dumps(tampered) + "\n")
    with pytest.raises(ValueError, match=r"line 2: fields .*expected exactly"):
        audit.read_records(path)
