"""AppTest of sign-in: every page, run on its own as Streamlit would serve it, shows nothing but
the sign-in screen to a signed-out user; a signed-in user is named in the sidebar and can sign
out; without ``[auth]`` the local demo says so; a broken configuration opens nothing.

The real flow against a real OIDC provider in Chromium is ``tests/browser/test_auth.py``.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from medcore import audit
from ui import auth

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard.py"
PAGE_FILES = sorted((ROOT / "app_pages").glob("*.py"))
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "medcore", "client_secret": "s" * 16,
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
#: A distinct "issued at" per sign-in in this file: the server records a sign-in once per (sub, iat)
#: for the whole process, so two tests in the same second would otherwise share one record. Each
#: value is below the last one (a counter beside a moving clock can repeat a value).
_LAST_ISSUED = [int(time.time()) - 100]


def fresh_iat() -> int:
    _LAST_ISSUED[0] = min(int(time.time()) - 100, _LAST_ISSUED[0] - 1)
    return _LAST_ISSUED[0]


CLINICIAN = {"is_logged_in": True, "sub": "clinician-01", "email": "c01@hospital.example",
             "name": "Dr Test A"}


@pytest.fixture(autouse=True)
def private_audit_log(monkeypatch, tmp_path):
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv(audit.AUDIT_LOG_VARIABLE, str(path))
    monkeypatch.delenv(auth.REQUIRE_VARIABLE, raising=False)
    return path


def app(script: Path, *, secrets: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=60)
    if secrets is not None:
        at.secrets["auth"] = secrets
    if user is not None:
        at.user = user
    return at.run()


def only_the_sign_in_screen(at: AppTest) -> None:
    assert not at.exception
    assert [t.value for t in at.title] == ["medcore"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.tabs and not at.selectbox and not at.subheader and not at.expander


def test_the_pages_live_outside_a_folder_named_pages():
    # Streamlit serves a pages/ folder beside the entry script without running dashboard.py
    # (so without its sign-in check) to the first visitor of a fresh server.
    assert not (ROOT / "pages").exists()
    navigation = DASHBOARD.read_text()
    assert PAGE_FILES and all(f'"app_pages/{p.name}"' in navigation for p in PAGE_FILES)


@pytest.mark.parametrize("script", [DASHBOARD, *PAGE_FILES], ids=lambda p: p.name)
def test_signed_out_every_page_shows_only_the_sign_in_screen(script):
    only_the_sign_in_screen(app(script, secrets=AUTH, user={"is_logged_in": False}))


def test_signed_in_the_sidebar_names_the_user_and_the_sign_in_is_recorded(private_audit_log):
    at = app(DASHBOARD, secrets=AUTH, user={**CLINICIAN, "iat": fresh_iat()})
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Upload", "Diagnosis", "Survival", "Explanation"]
    assert "Signed in as Dr Test A (c01@hospital.example)" in [c.value for c in at.sidebar.caption]
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    at.run()  # a rerun is not a second sign-in
    (record,) = audit.read_records(private_audit_log)
    assert (record.event, record.user, record.email, record.page, record.outcome) == (
        "sign-in", "clinician-01", "c01@hospital.example", "Home", "success")


def test_an_old_identity_token_is_not_recorded_as_a_new_sign_in(private_audit_log):
    app(DASHBOARD, secrets=AUTH, user={**CLINICIAN, "iat": int(time.time()) - 3600})
    assert not private_audit_log.exists()


def test_sign_out_is_recorded_and_signs_out(private_audit_log):
    at = app(DASHBOARD, secrets=AUTH, user={**CLINICIAN, "iat": fresh_iat()})
    at.sidebar.button[0].click().run()
    assert [r.event for r in audit.read_records(private_audit_log)] == ["sign-in", "sign-out"]
    only_the_sign_in_screen(at)


def test_without_auth_the_local_demo_says_so_in_one_line(private_audit_log):
    at = app(DASHBOARD)
    assert not at.exception
    assert auth.LOCAL_DEMO_NOTE in [c.value for c in at.sidebar.caption]
    assert "Sign in" not in [b.label for b in at.button]
    assert [s.value for s in at.subheader] == ["Upload", "Diagnosis", "Survival", "Explanation"]


def test_an_incomplete_auth_section_opens_nothing():
    at = app(DASHBOARD, secrets={k: v for k, v in AUTH.items() if k != "client_secret"},
             user={"is_logged_in": False})
    assert len(at.error) == 1 and "lacks client_secret" in at.error[0].value
    assert not at.button and not at.subheader


def test_sign_in_demanded_but_not_configured_opens_nothing(monkeypatch):
    monkeypatch.setenv(auth.REQUIRE_VARIABLE, "1")
    at = app(DASHBOARD)
    assert len(at.error) == 1 and "MEDCORE_REQUIRE_SIGN_IN=1" in at.error[0].value
    assert not at.subheader
