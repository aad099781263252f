"""Patient reports to keep: one patient's result as the pages state it, as PDF or HTML.

:func:`build_report` makes a :class:`~medcore.report.document.Report` (what it says) for any
registered model from the input its page holds; :func:`to_html` and :func:`to_pdf` print it;
:func:`write_report` writes either, chosen by the file's extension, atomically (a temporary
file renamed: no partial report is ever left). No Streamlit here; TensorFlow only for the
explanation (and the image map), on first use.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from medcore import registry
from medcore.errors import MedcoreError
from medcore.registry import ModelKind
from medcore.report.document import Figure, Item, Report, Section
from medcore.report.html import to_html
from medcore.report.images import ChromiumNotFoundError, pdf_unavailable_reason
from medcore.report.pdf import to_pdf

#: The formats, by file extension.
FORMATS = {".pdf": "application/pdf", ".html": "text/html"}

__all__ = ["ChromiumNotFoundError", "FORMATS", "Figure", "Item", "Report", "Section",
           "build_report", "pdf_unavailable_reason", "render", "to_html", "to_pdf",
           "write_report"]


def build_report(name: str, source: Any, *, served: Any = None, explain: bool = True,
                 origin: str = "", **options: Any) -> Report:
    """The report of one patient for model ``name``.

    Parameters
    ----------
    source : what the model's page holds: a ``Scan`` (image models), a one-row records frame
        (tabular and survival models), one patient's visits (sequence models).
    served : the serving model (default: ``registry.serving_model(name)``).
    explain : add the explanation (SHAP; loads Keras on first use).
    origin : where the report is made ("Diagnosis page", "command line").
    **options : per kind: ``frame``, ``prevalence`` (image); ``threshold`` (tabular);
        ``statuses`` (survival); ``as_of_visit`` (sequence).

    Raises
    ------
    MedcoreError
        An input the model cannot take (the message says what and how to fix it).
    """
    from medcore.report import diagnosis, survival

    spec = registry.spec(name)
    served = registry.serving_model(name) if served is None else served
    build = {ModelKind.IMAGE_CLASSIFIER: diagnosis.image_report,
             ModelKind.TABULAR_CLASSIFIER: diagnosis.tabular_report,
             ModelKind.SURVIVAL: survival.survival_report,
             ModelKind.SEQUENCE_SURVIVAL: survival.sequence_report}[spec.kind]
    return build(name, source, served=served, explain=explain, source=origin, **options)


def render(report: Report, fmt: str) -> bytes:
    """``report`` as ``"pdf"`` or ``"html"`` bytes."""
    if fmt == "pdf":
        return to_pdf(report)
    if fmt == "html":
        return to_html(report).encode("utf-8")
    raise MedcoreError(f"Report format {fmt!r}; expected 'pdf' or 'html'.")


def format_of(path: str | os.PathLike) -> str:
    """``"pdf"`` or ``"html"`` from a file name.

    Raises
    ------
    MedcoreError
        Another extension.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise MedcoreError(f"--out {os.fspath(path)!r} ends in {suffix or 'no extension'!r}; "
                           "expected a file name ending in .pdf or .html (it chooses the "
                           "format).")
    return suffix[1:]


def write_report(report: Report, path: str | os.PathLike) -> Path:
    """Write ``report`` to ``path`` (format from its extension) through a temporary file in
    the same folder, renamed when complete: a failure leaves no partial file."""
    path = Path(path)
    data = render(report, format_of(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                         dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
