""""Download report": the patient on screen as a PDF and as a self-contained HTML file.

One call per page section, after the result is shown::

    report_button.render(NAME, patient, page="Survival", source=..., key="rfs", statuses=...)

The report is built only when a button is clicked (``st.download_button(data=callable)``, run by
Streamlit on its own thread: no Streamlit call inside, the models and explainers come from
:mod:`medcore.report`'s process-wide caches), never on a rerun. Each click is recorded in the
audit trail (:func:`ui.audit_trail.report_downloaded`). Where no Chromium is found the HTML
button still works and the PDF button is disabled with what to install.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Callable

import streamlit as st

from medcore import registry
from ui import audit_trail, common


def _builder(name: str, source: Any, served: Any, page: str, fmt: str,
             options: dict[str, Any]) -> Callable[[], bytes]:
    """What the button calls on click: build the report and print it as ``fmt``."""
    def build() -> bytes:
        from medcore.report import build_report, render

        report = build_report(name, source, served=served, origin=f"{page} page", **options)
        return render(report, fmt)

    return build


def render(name: str, source: Any, *, page: str, key: str, audit_source: str | None = None,
           **options: Any) -> None:
    """Two download buttons (PDF, HTML) for the report of ``source`` (what the page shows the
    model's result for: a scan, a one-row records frame, one patient's visits); ``options`` as
    :func:`medcore.report.build_report` takes them (``frame``, ``statuses``...)."""
    from medcore.report import pdf_unavailable_reason

    if source is None:
        return
    served = common.serving_model(name)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M")
    title = re.sub(r"[^a-z0-9]+", "-", registry.spec(name).title.lower()).strip("-")
    stem = f"{title}-report-{stamp}"
    unavailable = pdf_unavailable_reason()
    st.markdown("**Patient report** (built when you click; no patient name or ID in it)")
    left, right = st.columns(2)
    record = dict(on_click=audit_trail.report_downloaded, args=(name, page, audit_source))
    left.download_button("Download report (PDF)",
                         data=_builder(name, source, served, page, "pdf", options),
                         file_name=f"{stem}.pdf", mime="application/pdf",
                         key=f"{key}_report_pdf", disabled=unavailable is not None,
                         help=unavailable, icon=":material/picture_as_pdf:", **record)
    right.download_button("Download report (HTML)",
                          data=_builder(name, source, served, page, "html", options),
                          file_name=f"{stem}.html", mime="text/html",
                          key=f"{key}_report_html", icon=":material/download:", **record)
    if unavailable:
        st.caption(unavailable)
