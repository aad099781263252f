"""Sign-in, audit and session isolation in Chromium against a real OpenID Connect provider.

Each server here is ``streamlit run dashboard.py`` with a temporary ``secrets.toml`` whose
``[auth]`` points at ``oidc-provider-mock`` on a free localhost port (:mod:`bench.oidc`): the
real redirect, callback and identity cookie, offline. The audit file is a temporary one.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pydicom
import pytest
from playwright.sync_api import expect
from pydicom.data import get_testdata_file

from bench import browser as launcher
from bench import oidc
from medcore import audit
from medcore.datasets.rotterdam_gbsg import load_rotterdam
from medcore.schemas import ROTTERDAM

pytestmark = pytest.mark.browser

#: Generous: the first model page imports TensorFlow (10-20 s on a busy 2-core machine).
SLOW_MS = 120_000
PAGES = ("upload", "diagnosis", "survival", "explanation")
SIGN_IN_TEXT = "Sign in with your hospital account to use the dashboard."
#: Made-up identifiers written into real scans, then searched for in the audit file and the log.
PATIENT = {"PatientName": "Quennell^Ottoline", "PatientID": "MRN-58309417",
           "PatientBirthDate": "19390217"}


@pytest.fixture(scope="module")
def audit_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audit") / "audit.jsonl"


@pytest.fixture(scope="module")
def server(chromium, audit_log):
    """One signed-in-capable dashboard for the walks of this module (info-level server log)."""
    env = {audit.AUDIT_LOG_VARIABLE: str(audit_log), "STREAMLIT_LOGGER_LEVEL": "info"}
    with oidc.dashboard_with_sign_in(env=env) as running:
        yield running


@pytest.fixture
def tabs(chromium):
    """``tabs(n)``: n tabs, each in its own browser context (own cookies, own session)."""
    opened = []

    def open_tabs(count: int) -> list:
        opened.extend(launcher.new_tab(chromium, SLOW_MS) for _ in range(count))
        return opened[-count:]

    yield open_tabs
    for tab in opened:
        tab.context.close()


def assert_only_the_sign_in_screen(tab) -> None:
    """The sign-in screen and nothing of any page: no heading, navigation, widget or disclaimer."""
    tab.get_by_role("button", name=oidc.SIGN_IN_BUTTON, exact=True).wait_for(timeout=SLOW_MS)
    launcher.wait_for_app_idle(tab, SLOW_MS)
    tab.wait_for_timeout(500)  # a page that slipped through would render now
    main = tab.locator('[data-testid="stMain"]').inner_text()
    assert [h.inner_text() for h in tab.locator("h1").all()] == ["medcore"], main
    assert SIGN_IN_TEXT in main
    for leak in ("Research use only", "Upload", "Diagnosis", "Survival", "Explanation",
                 "Model card", "Sample"):
        assert leak not in main, f"{leak!r} shown before sign-in:\n{main}"
    assert tab.locator('[data-testid="stSidebarNav"]').count() == 0
    assert tab.locator('[data-testid="stFileUploader"], [data-testid="stSelectbox"], '
                       '[data-testid="stTabs"]').count() == 0


@pytest.mark.parametrize("first", ["diagnosis", "upload"])
def test_signed_out_sees_no_page_content_even_on_a_fresh_server(chromium, tabs, shoot, first):
    # A fresh server whose very first request is a page's own URL: the case Streamlit's
    # automatic discovery of a pages/ folder served without running dashboard.py.
    with oidc.dashboard_with_sign_in() as fresh:
        (tab,) = tabs(1)
        for path in (first, *[p for p in PAGES if p != first], "", "home"):
            tab.goto(fresh.url + path)
            assert_only_the_sign_in_screen(tab)
            if path == first:
                shoot(tab, f"auth_signed_out_{first}")


def test_sign_in_diagnosis_sign_out(server, audit_log, tabs, shoot):
    user = oidc.CLINICIANS[0]
    (tab,) = tabs(1)
    oidc.sign_in(tab, server, user, timeout_ms=SLOW_MS)
    sidebar = tab.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text(f"Signed in as {user.name} ({user.email})")
    expect(sidebar.get_by_role("button", name="Sign out")).to_be_visible()
    expect(tab.get_by_text("Local demo")).to_have_count(0)
    shoot(tab, "auth_01_signed_in_home")

    result = launcher.diagnose_sample(tab, launcher.diagnosis_samples()[0], SLOW_MS)
    assert re.fullmatch(r"[<>]?\d{1,3}%", result.probability), result.probability
    assert not launcher.page_errors(tab)
    shoot(tab, "auth_02_signed_in_diagnosis")

    oidc.sign_out(tab, SLOW_MS)
    assert_only_the_sign_in_screen(tab)
    tab.goto(server.url + "diagnosis")  # the identity cookie is gone: the page stays closed
    assert_only_the_sign_in_screen(tab)
    shoot(tab, "auth_03_signed_out")

    mine = [r for r in audit.read_records(audit_log) if r.user == user.sub]
    assert {r.email for r in mine} == {user.email}
    assert [(r.event, r.page, r.model, r.source) for r in mine] == [
        ("sign-in", "Home", None, None),
        ("prediction", "Diagnosis", "pneumonia_cnn", "sample"),
        ("sign-out", "Diagnosis", None, None)]


def scan_with_identifiers(name: str, **identifiers: str) -> bytes:
    """A real scan from pydicom's test files with made-up patient identifiers written in."""
    try:
        path = get_testdata_file(name, download=False)
    except Exception:  # noqa: BLE001 - pydicom-data absent or its index unreadable
        path = None
    ds = pydicom.dcmread(path or get_testdata_file("CT_small.dcm"))
    for keyword, value in identifiers.items():
        setattr(ds, keyword, value)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def add_files(tab, *files: dict) -> None:
    """Add files to the Upload page's scan uploader (beside those already in it)."""
    launcher.act_and_wait(tab, lambda: launcher.upload_files(tab, "DICOM files", list(files)),
                          SLOW_MS)


def upload_scan(tab, file_name: str, data: bytes) -> None:
    launcher.open_page(tab, "Upload", SLOW_MS)
    add_files(tab, {"name": file_name, "mimeType": "application/dicom", "buffer": data})
    tab.get_by_role("heading", name=re.compile(rf"^Current scan: .*{re.escape(file_name)}$")
                    ).wait_for(timeout=SLOW_MS)


def test_no_patient_identifier_reaches_the_audit_or_the_server_log(server, audit_log, tabs,
                                                                   shoot):
    user = oidc.CLINICIANS[1]
    (tab,) = tabs(1)
    oidc.sign_in(tab, server, user, timeout_ms=SLOW_MS)
    launcher.open_page(tab, "Upload", SLOW_MS)
    add_files(tab, {"name": "junk.dcm", "mimeType": "application/dicom",
                    "buffer": b"no scan " * 64})                  # nothing usable: refused
    expect(tab.locator('[data-testid="stAlertContainer"]').filter(has_text="junk.dcm")
           ).to_be_visible()
    add_files(tab, {"name": "chest.dcm", "mimeType": "application/dicom",   # beside the junk
                    "buffer": scan_with_identifiers("RG1_UNCR.dcm", **PATIENT)})
    tab.get_by_role("heading", name=re.compile(r"^Current scan: .* - chest\.dcm$")).wait_for(
        timeout=SLOW_MS)
    launcher.open_page(tab, "Diagnosis", SLOW_MS)
    expect(tab.get_by_role("combobox", name=launcher.DIAGNOSIS_SOURCE_LABEL)).to_have_value(
        re.compile(r"Uploaded: .* - chest\.dcm"))
    launcher.diagnosis_shown(tab, SLOW_MS)
    shoot(tab, "auth_04_uploaded_scan_diagnosis")
    shown = tab.locator("body").text_content()

    mine = [r for r in audit.read_records(audit_log) if r.user == user.sub]
    assert [(r.event, r.page, r.source, r.outcome) for r in mine] == [
        ("sign-in", "Home", None, "success"),
        ("upload", "Upload", "uploaded-scan", "refused"),
        ("upload", "Upload", "uploaded-scan", "accepted"),
        ("prediction", "Diagnosis", "uploaded-scan", "shown")]
    audit_text = audit_log.read_text()
    server_log = server.log_path.read_text(errors="replace")
    assert server_log.strip(), "the server log is empty: nothing was checked"
    for value in PATIENT.values():
        for token in value.split("^"):
            assert token.lower() not in audit_text.lower(), f"{token} in the audit file"
            assert token.lower() not in server_log.lower(), f"{token} in the server's log"
            assert token.lower() not in shown.lower(), f"{token} shown on the page"


def real_records(kind: str, rows: int) -> bytes:
    """The first ``rows`` real patients of a data set, as a CSV a clinician would upload."""
    if kind == "wdbc":
        from sklearn.datasets import load_breast_cancer

        frame = load_breast_cancer(as_frame=True).data.head(rows)
    else:
        frame = load_rotterdam().head(rows)
        frame = frame[[c for c in ROTTERDAM.column_names if c in frame.columns]]
    return frame.to_csv(index=False).encode()


def upload_records(tab, schema: str, file_name: str, data: bytes) -> None:
    launcher.open_page(tab, "Upload", SLOW_MS)
    tab.get_by_role("tab", name="Patient records").click()
    chosen = tab.get_by_role("combobox", name="Records schema", exact=True).input_value()
    if f"({schema})" not in chosen:  # choosing the shown schema again would not rerun
        launcher.act_and_wait(tab, lambda: launcher.choose_option(tab, "Records schema", schema),
                              SLOW_MS)
    launcher.act_and_wait(tab, lambda: launcher.upload_files(
        tab, "Records: CSV", [{"name": file_name, "mimeType": "text/csv", "buffer": data}]),
        SLOW_MS)
    tab.get_by_text(f"from {file_name}").wait_for(timeout=SLOW_MS)


def test_two_clinicians_see_only_their_own_scans_and_records(server, tabs, shoot):
    alice, bob = oidc.CLINICIANS[2], oidc.CLINICIANS[3]
    tab_a, tab_b = tabs(2)
    oidc.sign_in(tab_a, server, alice, timeout_ms=SLOW_MS)
    oidc.sign_in(tab_b, server, bob, timeout_ms=SLOW_MS)
    # Interleaved, so each server-side step of one session runs between the other's.
    upload_scan(tab_a, "alpha_chest.dcm",
                scan_with_identifiers("RG1_UNCR.dcm", PatientName="Alpha^Patient"))
    upload_scan(tab_b, "bravo_ct.dcm",
                scan_with_identifiers("CT_small.dcm", PatientName="Bravo^Patient"))
    upload_records(tab_a, "wdbc", "alpha_wdbc.csv", real_records("wdbc", 3))
    upload_records(tab_b, "rotterdam", "bravo_rotterdam.csv", real_records("rotterdam", 4))

    explained = "Explaining the input from the other pages"
    own = {"alpha": (tab_a, {"Upload": ["CR - alpha_chest.dcm",
                                        "3 records from alpha_wdbc.csv"],
                             "Diagnosis": ["CR - alpha_chest.dcm", "3 records scored"],
                             "Survival": [], "Explanation": [explained]}),
           "bravo": (tab_b, {"Upload": ["CT - bravo_ct.dcm"],
                             "Diagnosis": ["CT - bravo_ct.dcm",
                                           "No breast-aspirate records loaded"],
                             "Survival": ["Pick an uploaded record"],
                             "Explanation": [explained]})}
    names = {"alpha": ("alpha_chest", "alpha_wdbc"), "bravo": ("bravo_ct", "bravo_rotterdam")}
    for title in ("Upload", "Diagnosis", "Survival", "Explanation"):
        for marker, (tab, expected) in own.items():
            other = "bravo" if marker == "alpha" else "alpha"
            launcher.open_page(tab, title, SLOW_MS)
            if title == "Diagnosis":  # the assessment of the session's own upload
                launcher.diagnosis_shown(tab, SLOW_MS)
            launcher.wait_for_app_idle(tab, SLOW_MS)
            html = tab.content()  # hidden tabs and expanders included
            text = tab.locator("body").text_content()
            for name in names[other]:
                assert name not in html, f"{other}'s {name} on {marker}'s {title} page"
            for sentence in expected:
                assert sentence in text, f"{sentence!r} missing on {marker}'s {title} page"
            if marker == "alpha":
                assert "Pick an uploaded record" not in text
            assert not launcher.page_errors(tab)
            shoot(tab, f"auth_isolation_{marker}_{title.lower()}")
