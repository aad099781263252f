"""The dashboard's side of the audit trail: who (from ``st.user``), which session, and only once.

:mod:`medcore.audit` writes and checks the records; this module adds the signed-in clinician
(the OIDC ``sub`` and e-mail, or ``"local"`` without sign-in) and a random id of the browser
session, and keeps Streamlit's reruns (every widget change reruns the page) from repeating an
event: a prediction is recorded once per distinct input shown, an upload once per file.

The inputs' fingerprints that make "distinct" stay in this session's memory; they are never
written anywhere. Page modules call one function per event, in one line:

- :func:`upload_checked` (Upload: a scan or records file accepted or refused),
- :func:`note_source` (where an input kept in session state for other pages came from),
- :func:`prediction_shown` (any page showing a model's output; :func:`source_of` names the source
  of an input another page kept),
- :func:`report_downloaded` (a report's download button, ``on_click``; issue 16),
- :func:`signed_in` / :func:`signed_out` (``ui.auth``).

A write that fails (no permission, full disk) shows the reason on the page and is tried again
on the next rerun: the trail is never silently incomplete.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import sys
import threading
import time
from typing import Any

import streamlit as st

from medcore import audit
from medcore.errors import MedcoreError

#: A sign-in is recorded when the identity token is at most this old when first seen; an older
#: token seen for the first time is a sign-in from before a server restart, not a new one.
SIGN_IN_WINDOW_S = 300

_SESSION = "_audit_session"
_RECORDED = "_audit_recorded"
_SIGN_IN_CHECKED = "_audit_sign_in_checked"
_SOURCES = "_audit_sources"
_LOGGER = logging.getLogger("medcore.audit")


def _session_id() -> str:
    if _SESSION not in st.session_state:
        st.session_state[_SESSION] = secrets.token_hex(8)
    return st.session_state[_SESSION]


def identity() -> tuple[str, str | None]:
    """``(sub, email)`` of the signed-in clinician, or ``("local", None)`` without sign-in."""
    if st.user.get("is_logged_in", False):
        return str(st.user.get("sub")), st.user.get("email")
    return audit.LOCAL_USER, None


def record(event: str, *, page: str, outcome: str, model: str | None = None,
           source: str | None = None) -> bool:
    """Append one event for this session's user; False (with a message) when it failed.

    Raises
    ------
    ValueError
        A field outside the audit vocabulary (a bug in the caller).
    """
    user, email = identity()
    try:
        audit.log_event(event, user=user, email=email, page=page, outcome=outcome, model=model,
                        source=source, session=_session_id())
    except MedcoreError as error:  # the file cannot be written, or a model card is unreadable
        _LOGGER.error("audit record not written: %s", error)
        st.error(str(error), icon=":material/error:")
        return False
    return True


def _fingerprint(parts: tuple[Any, ...]) -> str:
    """A digest of the inputs, to recognise one seen before (kept in memory only)."""
    # Imported here, not at the top: every page imports this module (through ui.auth) before it
    # renders, and Streamlit no longer imports numpy/pandas itself, so a top-level import costs
    # the Home page its first second(s) on a fresh server.
    import numpy as np

    # A DataFrame exists only once pandas is imported, and a radiograph's diagnosis needs no
    # pandas (0.6 s): look it up, never import it. getattr, because another thread (a report
    # being built) may be importing pandas right now: the module is then in sys.modules, but
    # partly initialised, without DataFrame yet.
    pd = sys.modules.get("pandas")
    frame_type = getattr(pd, "DataFrame", None)
    digest = hashlib.sha256()
    for part in parts:
        if frame_type is not None and isinstance(part, frame_type):
            digest.update(repr(list(part.columns)).encode())
            digest.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
        elif isinstance(part, np.ndarray):
            digest.update(repr((part.dtype.str, part.shape)).encode())
            digest.update(np.ascontiguousarray(part).tobytes())
        elif isinstance(part, bytes):
            digest.update(part)
        else:
            digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def record_once(event: str, key: tuple[Any, ...], **fields: Any) -> None:
    """:func:`record`, unless this session already recorded ``event`` for the same ``key``."""
    fingerprint = _fingerprint((event, *key))
    done = st.session_state.setdefault(_RECORDED, set())
    if fingerprint in done:
        return
    if record(event, **fields):
        done.add(fingerprint)


def note_source(state_key: str, source: str) -> None:
    """Remember where the input kept under ``st.session_state[state_key]`` came from (one of
    :data:`medcore.audit.SOURCES`), for the pages that show predictions on it later."""
    st.session_state.setdefault(_SOURCES, {})[state_key] = source


def source_of(state_key: str) -> str | None:
    """The source noted for ``st.session_state[state_key]`` (None if none was noted)."""
    return st.session_state.get(_SOURCES, {}).get(state_key)


def source_of_input(state_key: str, shown: Any) -> str | None:
    """Where ``shown`` came from: the source noted for the input kept under ``state_key`` when
    ``shown`` is that input, else ``"sample"`` (a data-set example the page offered instead)."""
    kept = st.session_state.get(state_key)
    return source_of(state_key) if shown is not None and shown is kept else "sample"


def prediction_shown(model: str, page: str, source: str, *inputs: Any) -> None:
    """Record that ``model``'s output for ``inputs`` (arrays, frames, ...) is shown on ``page``,
    once per distinct input in this session. ``source``: one of :data:`medcore.audit.SOURCES`."""
    record_once(audit.PREDICTION, (model, page, source, *inputs), page=page, outcome="shown",
                model=model, source=source)


def upload_checked(page: str, source: str, accepted: bool, *upload_ids: Any) -> None:
    """Record an upload accepted or refused, once per upload (``upload_ids``: the widget's
    file ids, or the uploaded bytes)."""
    record_once(audit.UPLOAD, (page, source, accepted, *upload_ids), page=page,
                outcome="accepted" if accepted else "refused", source=source)


def report_downloaded(model: str, page: str, source: str | None = None) -> None:
    """Record a report download (every click): for ``st.download_button(on_click=...,
    args=(model, page, source))``."""
    record(audit.REPORT_DOWNLOAD, page=page, outcome="downloaded", model=model, source=source)


@st.cache_resource(show_spinner=False)
def _sign_ins_seen() -> tuple[set, threading.Lock]:
    """``(sub, iat)`` of the sign-ins recorded by this server process (shared by sessions)."""
    return set(), threading.Lock()


def signed_in(page: str) -> None:
    """Record the sign-in behind this session's identity cookie, once per sign-in.

    Every browser tab (and every reload) is a new Streamlit session carrying the same identity
    token: the token's ``iat`` (issued at) tells a new sign-in from one already recorded.
    """
    if st.session_state.get(_SIGN_IN_CHECKED):
        return
    issued, key = st.user.get("iat"), None
    if isinstance(issued, (int, float)):
        if time.time() - issued > SIGN_IN_WINDOW_S:
            st.session_state[_SIGN_IN_CHECKED] = True
            return
        seen, lock = _sign_ins_seen()
        key = (str(st.user.get("sub")), int(issued))
        with lock:
            if key in seen:
                st.session_state[_SIGN_IN_CHECKED] = True
                return
            seen.add(key)
    if record(audit.SIGN_IN, page=page, outcome="success"):
        st.session_state[_SIGN_IN_CHECKED] = True
    elif key is not None:  # not written: let the next rerun try again
        with lock:
            seen.discard(key)


def signed_out(page: str) -> None:
    """Record a sign-out (the sidebar's button calls this before ``st.logout``)."""
    record(audit.SIGN_OUT, page=page, outcome="success")
