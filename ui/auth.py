"""Sign-in through the hospital's identity provider: Streamlit's own OIDC (``st.login``,
``st.user``, ``st.logout``), configured by the single-provider ``[auth]`` section of
``.streamlit/secrets.toml`` (see the README).

- :func:`require_sign_in` is the first call of ``dashboard.py``, of the home page and of every
  page script. Signed out, it shows only the sign-in screen and stops the script run. It also
  stops, with the reason, when sign-in is configured but cannot work (an unreadable secrets
  file, an incomplete ``[auth]``) or is demanded by ``MEDCORE_REQUIRE_SIGN_IN=1`` but absent:
  a broken configuration never opens the pages to everyone.
- :func:`user_panel` (``dashboard.py``, after ``st.navigation``) names the signed-in clinician
  in the sidebar with a "Sign out" button, and records the sign-in in the audit trail. Without
  ``[auth]`` it says "Local demo: no sign-in configured" in one line.

Why every page calls the guard itself: Streamlit 1.67 serves the scripts of a folder named
``pages/`` beside the entry script by its older automatic page discovery, without running the
entry script, when a page's URL is the first request a fresh server sees. The page scripts live
in ``app_pages/`` so that cannot happen; the page-level call keeps them closed even if it did.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui import audit_trail

#: Set to ``1`` on a hospital deployment: no ``[auth]`` then stops every page with an error
#: instead of falling back to the local demo.
REQUIRE_VARIABLE = "MEDCORE_REQUIRE_SIGN_IN"
#: The one line a dashboard without sign-in shows.
LOCAL_DEMO_NOTE = "Local demo: no sign-in configured"
#: The keys of Streamlit's single-provider ``[auth]`` form.
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret",
             "server_metadata_url")


@dataclass(frozen=True)
class SignInConfig:
    """Whether sign-in is on, and why it cannot work when it is broken.

    Attributes
    ----------
    enabled : bool
        An ``[auth]`` section is configured (or demanded): pages need a signed-in user.
    problem : str or None
        Why sign-in cannot work (then no page is shown), else None.
    """

    enabled: bool
    problem: str | None = None


def _secrets_files() -> list[Path]:
    from streamlit import config

    return [Path(p) for p in config.get_option("secrets.files") or []]


def sign_in_config() -> SignInConfig:
    """Read the ``[auth]`` section: off, on, or broken (with the reason and the fix)."""
    if not st.secrets.load_if_toml_exists():
        unreadable = [str(p) for p in _secrets_files() if p.exists()]
        if unreadable:
            return SignInConfig(True, (
                f"The secrets file {unreadable[0]} exists but could not be read, so sign-in "
                "cannot be checked and no page is shown. Expected valid TOML with an [auth] "
                "section (see secrets.toml.example); fix the file and restart the dashboard."))
        auth = None
    else:
        auth = st.secrets.get("auth")
    if not auth:
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            return SignInConfig(True, (
                f"{REQUIRE_VARIABLE}=1 but no [auth] section was found in .streamlit/secrets.toml, "
                "so no page is shown. Expected Streamlit's single-provider [auth] section "
                "pointing at the hospital's identity provider; add it (see secrets.toml.example) "
                "and restart the dashboard."))
        return SignInConfig(False)
    missing = [key for key in AUTH_KEYS if not auth.get(key)]
    if missing:
        return SignInConfig(True, (
            f"The [auth] section of the secrets file lacks {', '.join(missing)}, so sign-in "
            f"cannot work and no page is shown. Expected all of {', '.join(AUTH_KEYS)} "
            "(Streamlit's single-provider form, see secrets.toml.example); add them and restart "
            "the dashboard."))
    return SignInConfig(True)


def signed_in() -> bool:
    """True when Streamlit's identity cookie names a signed-in user."""
    return bool(st.user.get("is_logged_in", False))


def require_sign_in() -> None:
    """Stop this script run, showing only the sign-in screen, unless the user may see the page.

    Without ``[auth]`` every page is open (the local demo). Call it first in every page script.
    """
    config = sign_in_config()
    if config.problem:
        st.title("medcore")
        st.error(config.problem, icon=":material/lock:")
        st.stop()
    if not config.enabled or signed_in():
        return
    st.title("medcore")
    st.markdown("Sign in with your hospital account to use the dashboard.")
    st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login,
              key="auth_sign_in")
    st.caption("Your organisation's identity provider checks who you are; medcore receives "
               "your name and e-mail address, and keeps an audit trail of what you viewed.")
    st.stop()


def _sign_out(page: str) -> None:
    audit_trail.signed_out(page)
    st.logout()


def user_panel(page: str) -> None:
    """Sidebar: who is signed in and a "Sign out" button, or the local-demo line.

    Parameters
    ----------
    page : str
        Title of the page being shown (for the audit trail's sign-in and sign-out records).
    """
    if not sign_in_config().enabled:
        st.sidebar.caption(LOCAL_DEMO_NOTE)
        return
    name = st.user.get("name") or st.user.get("email") or st.user.get("sub")
    email = st.user.get("email")
    with st.sidebar:
        st.caption(f"Signed in as {name}" + (f" ({email})" if email and email != name else ""))
        st.button("Sign out", icon=":material/logout:", on_click=_sign_out, args=(page,),
                  key="auth_sign_out")
    audit_trail.signed_in(page)
