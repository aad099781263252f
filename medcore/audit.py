"""The audit trail: who saw which model's output, when, as one JSON line per event.

Each line is one :class:`AuditRecord`, appended to the file named by ``$MEDCORE_AUDIT_LOG``
(default ``audit/audit.jsonl`` under the working folder; the folder is created owner-only, the
file ``0600``)::

    {"time": "2026-12-02T09:14:03.512Z", "event": "prediction", "user": "8f14e45f",
     "email": "a.clinician@hospital.example", "page": "Diagnosis", "model": "pneumonia_cnn",
     "model_version": "e61c07543564", "source": "uploaded-scan", "outcome": "shown",
     "session": "3f9a0c1b2d4e5f60"}

A record never holds patient data: no name, identifier, birth date, pixel, CSV cell or predicted
value. That is enforced by construction rather than by filtering: every field but the
clinician's own identity is drawn from a fixed vocabulary (:data:`EVENTS`, :data:`PAGES`,
:data:`SOURCES`, the registry's model names, a 12-hex-digit version), and the identity fields
must look like an OIDC subject, an e-mail address or a random session id. Anything else raises
``ValueError`` before a byte is written, so a caller passing the wrong value fails in its tests.

Streamlit is not imported here; the dashboard's session and user part is ``ui/audit_trail.py``.
"""
from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from medcore import registry
from medcore.errors import MedcoreError

#: Environment variable naming the audit file.
AUDIT_LOG_VARIABLE = "MEDCORE_AUDIT_LOG"
#: Default audit file, relative to the working folder (git-ignored).
DEFAULT_AUDIT_LOG = Path("audit") / "audit.jsonl"

#: Event names (call sites use the constants).
SIGN_IN = "sign-in"
SIGN_OUT = "sign-out"
UPLOAD = "upload"
PREDICTION = "prediction"
REPORT_DOWNLOAD = "report-download"

#: Each event and the one-word outcomes it may have.
EVENTS: dict[str, frozenset[str]] = {
    SIGN_IN: frozenset({"success"}),
    SIGN_OUT: frozenset({"success"}),
    UPLOAD: frozenset({"accepted", "refused"}),
    PREDICTION: frozenset({"shown"}),
    REPORT_DOWNLOAD: frozenset({"downloaded"}),
}

#: Where an event happened: the dashboard's page titles (a new page adds its title here).
PAGES: frozenset[str] = frozenset({"Home", "Upload", "Diagnosis", "Survival", "Explanation",
                                   "Report"})

#: What the model read: a file the clinician uploaded (a scan, or a records CSV), a public
#: sample shipped with medcore (a data-set image or patient), or values typed into a form.
SOURCES: frozenset[str] = frozenset({"uploaded-scan", "uploaded-records", "sample", "form"})

#: Events that name the model whose output was shown.
MODEL_EVENTS: frozenset[str] = frozenset({PREDICTION, REPORT_DOWNLOAD})

#: The user of a dashboard without sign-in.
LOCAL_USER = "local"

#: Hex digits of the model file's sha256 kept as its version (as in the model card's prefix).
VERSION_DIGITS = 12

#: OIDC ``sub``: at most 255 printable ASCII characters (OpenID Connect Core 1.0, 2); no
#: spaces, which no provider we know of puts in a subject and every personal name has.
_SUBJECT = re.compile(r"[\x21-\x7e]{1,255}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
_SESSION = re.compile(r"[0-9a-f]{16}")
_VERSION = re.compile(rf"[0-9a-f]{{{VERSION_DIGITS}}}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class AuditLogError(MedcoreError):
    """The audit file cannot be written (a missing permission, a full disk)."""


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _one_of(name: str, value: Any, allowed: frozenset[str]) -> None:
    if value not in allowed:
        raise ValueError(f"audit {name}={value!r}; expected one of {sorted(allowed)}. Audit "
                         f"records hold only this vocabulary, so no patient data can slip in.")


def _matches(name: str, value: Any, pattern: re.Pattern, expected: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"audit {name}={value!r}; expected {expected}.")


@dataclass(frozen=True)
class AuditRecord:
    """One audit event; checked on construction (``ValueError`` naming the bad field).

    Attributes
    ----------
    event : str
        One of :data:`EVENTS`.
    user : str
        The OIDC ``sub`` of the signed-in clinician, or ``"local"`` without sign-in.
    page : str
        The page it happened on, one of :data:`PAGES`.
    outcome : str
        One word, one of ``EVENTS[event]``.
    email : str or None
        The clinician's e-mail from the identity provider (None for ``"local"``).
    model, model_version : str or None
        For predictions and reports: the registry name and the first 12 hex digits of the
        ``.keras`` file's sha256 (from the model card).
    source : str or None
        What the model read, one of :data:`SOURCES` (for uploads and predictions).
    session : str or None
        A random id of the browser session (16 hex digits), to tell one clinician's two tabs apart.
    time : str
        UTC, ISO 8601 with milliseconds (``2026-12-02T09:14:03.512Z``); now by default.
    """

    event: str
    user: str
    page: str
    outcome: str
    email: str | None = None
    model: str | None = None
    model_version: str | None = None
    source: str | None = None
    session: str | None = None
    time: str = field(default_factory=_utc_now)

    def __post_init__(self) -> None:
        _one_of("event", self.event, frozenset(EVENTS))
        _one_of("outcome", self.outcome, EVENTS[self.event])
        _one_of("page", self.page, PAGES)
        _matches("time", self.time, _TIME, "UTC as 2026-12-02T09:14:03.512Z")
        if self.user != LOCAL_USER:
            _matches("user", self.user, _SUBJECT,
                     f"{LOCAL_USER!r} or an OIDC subject (1-255 printable ASCII, no spaces)")
        if self.email is not None:
            if self.user == LOCAL_USER:
                raise ValueError("audit email given for the local user; expected None (without "
                                 "sign-in there is no identity provider to vouch for it).")
            _matches("email", self.email, _EMAIL, "an e-mail address or None")
        if self.session is not None:
            _matches("session", self.session, _SESSION, "16 lower-case hex digits or None")
        if self.source is not None:
            _one_of("source", self.source, SOURCES)
        if self.event in MODEL_EVENTS:
            if self.model is None or self.model_version is None:
                raise ValueError(f"audit event {self.event!r} without model and model_version; "
                                 "expected the model whose output was shown.")
        elif self.model is not None or self.model_version is not None:
            raise ValueError(f"audit event {self.event!r} names a model; expected a model only "
                             f"for {sorted(MODEL_EVENTS)}.")
        if self.model is not None:
            _one_of("model", self.model, frozenset(registry.names()))
            _matches("model_version", self.model_version, _VERSION,
                     f"the first {VERSION_DIGITS} hex digits of the model's sha256")

    def to_json(self) -> str:
        """The record as one JSON line (no newline), fields in a fixed order."""
        fields = asdict(self)
        ordered = {"time": fields.pop("time"), **fields}
        return json.dumps(ordered, ensure_ascii=True, separators=(", ", ": "))


#: The keys of every line.
_FIELDS = frozenset(AuditRecord.__dataclass_fields__)


def model_version(name: str) -> str:
    """The version the audit names for model ``name``: its model card's sha256, first 12 digits.

    Raises
    ------
    ModelFileError
        Unknown model, or its card is missing or unreadable.
    """
    card = registry.load_card(name)
    return card.sha256[:VERSION_DIGITS]


def audit_log_path() -> Path:
    """The audit file: ``$MEDCORE_AUDIT_LOG``, else ``audit/audit.jsonl`` in the working folder."""
    configured = os.environ.get(AUDIT_LOG_VARIABLE)
    return Path(configured) if configured else Path.cwd() / DEFAULT_AUDIT_LOG


_WRITE_LOCK = threading.Lock()


def append(record: AuditRecord, path: Path | None = None) -> Path:
    """Append ``record`` as one line to the audit file (default :func:`audit_log_path`).

    A missing folder is created owner-only (``0700``), a missing file owner read/write only
    (``0600``). The line is written with a single ``write`` on an ``O_APPEND`` descriptor, so
    lines from concurrent sessions never interleave.

    Raises
    ------
    AuditLogError
        The folder or file cannot be created or written.
    """
    path = Path(path or audit_log_path())
    line = (record.to_json() + "\n").encode("ascii")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _WRITE_LOCK:
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, line)
            finally:
                os.close(descriptor)
    except OSError as exc:
        raise AuditLogError(
            f"The audit trail could not be written to {path} ({exc.strerror or exc}). Expected a "
            f"file this server can append to: set {AUDIT_LOG_VARIABLE} to a writable path, or "
            "give the server's user write permission on that folder.") from exc
    return path


def log_event(event: str, *, user: str, page: str, outcome: str, email: str | None = None,
              model: str | None = None, source: str | None = None, session: str | None = None,
              path: Path | None = None) -> AuditRecord:
    """Check and append one event; the model's version is read from its card.

    Returns
    -------
    AuditRecord
        The record written.

    Raises
    ------
    ValueError
        A field outside its vocabulary or pattern (nothing is written).
    AuditLogError
        The audit file cannot be written.
    ModelFileError
        ``model`` has no readable card.
    """
    version = model_version(model) if model is not None else None
    record = AuditRecord(event=event, user=user, page=page, outcome=outcome, email=email,
                         model=model, model_version=version, source=source, session=session)
    append(record, path)
    return record


def read_records(path: Path | None = None) -> list[AuditRecord]:
    """Every record of an audit file, each line parsed and checked again.

    Raises
    ------
    ValueError
        A line is not JSON, has other fields than :class:`AuditRecord`'s, or fails its checks
        (the message names the line number).
    """
    path = Path(path or audit_log_path())
    records = []
    for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), start=1):
        try:
            fields = json.loads(line)
            if not isinstance(fields, dict):
                raise ValueError(f"expected a JSON object, got {type(fields).__name__}")
            if set(fields) != _FIELDS:
                raise ValueError(f"fields {sorted(fields)}; expected exactly {sorted(_FIELDS)}")
            records.append(AuditRecord(**fields))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}, line {number}: {exc}") from exc
    return records
