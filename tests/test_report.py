"""Patient reports (issue 16): what they say, that they name no patient, that the HTML loads
nothing, and the command line's refusals. PDF tests draw figures with kaleido in Chromium and
load TensorFlow for the explanation: marked slow."""
from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medcore import RESEARCH_USE_DISCLAIMER, registry
from medcore.report import build_report, to_html, write_report
from tests.report_examples import IDENTIFIER_TEXTS, identified_dicom, radiograph

URL = re.compile(r"https?://", re.IGNORECASE)
MAX_BYTES = 3 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return _flat("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def _html_text(document: str) -> str:
    """The HTML's text as a reader sees it: no scripts (the packed plotly.js, figure data),
    tags as spaces, entities decoded, blanks collapsed."""
    body = re.sub(r"<script.*?</script>", " ", document, flags=re.S)
    return _flat(html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _wdbc_patient() -> pd.DataFrame:
    from medcore.models import breast_cancer_fnn as fnn

    features, _ = fnn.test_inputs()
    return features.iloc[[3]].reset_index(drop=True)


def _gbsg_patient() -> pd.DataFrame:
    from medcore.datasets.rotterdam_gbsg import load_gbsg

    return load_gbsg().iloc[[7]].reset_index(drop=True)


def _pbc_history() -> pd.DataFrame:
    from medcore.models import pbc_rnn

    visits = pbc_rnn.demo_visits()
    history = visits[visits["id"] == visits["id"].iloc[0]].copy()
    history["id"] = "PBC-ID-4711"                  # an identifier no report may print
    return history


def _fnn_expected(served, patient) -> list[str]:
    from medcore.models import breast_cancer_fnn as fnn

    probability = float(fnn.predict(served, patient).probability[0])
    return [f"P(malignant) {probability:.1%}"]


def _deepsurv_expected(served, patient) -> list[str]:
    from medcore.models import breast_cancer_deepsurv as model

    prediction = model.predict(served, patient)
    survival, low, high = (float(v[0]) for v in prediction.at(5.0))
    return [f"Recurrence-free at 5 years {survival:.0%} (ensemble spread {low:.0%} to "
            f"{high:.0%})", model.rfs_sentence(survival, 5.0)]


def _pbc_expected(served, history) -> list[str]:
    from medcore.models import pbc_rnn

    times, by_visit, days = pbc_rnn.survival_by_visit(served, history)
    five_year = pbc_rnn.survival_at(times, by_visit, 5.0)
    return [f"5-year survival predicted after visit {len(days)} (year "
            f"{(days[-1] - days[0]) / 365.25:.1f}) {100 * five_year[-1]:.0f}%"]


RECORDS_CASES = [("breast_cancer_fnn", _wdbc_patient, _fnn_expected),
                 ("breast_cancer_deepsurv", _gbsg_patient, _deepsurv_expected),
                 ("pbc_rnn", _pbc_history, _pbc_expected)]


@pytest.mark.parametrize("name, patient, expected", RECORDS_CASES,
                         ids=[c[0] for c in RECORDS_CASES])
def test_html_report_states_the_pages_figures_and_loads_nothing(name, patient, expected):
    served = registry.serving_model(name)
    source = patient()
    report = build_report(name, source, served=served, explain=False)
    text = _flat(report.text())
    for figure in expected(served, source):
        assert _flat(figure) in text
    document = to_html(report)
    shown = _html_text(document)
    assert RESEARCH_USE_DISCLAIMER in shown
    assert served.card.sha256[:12] in shown
    for figure in expected(served, source):
        assert _flat(figure) in shown
    assert not URL.search(document), URL.search(document)
    assert "PBC-ID-4711" not in document
    assert len(document.encode()) <= MAX_BYTES
    assert document.count("class='report-figure'") == len(report.figures)


def test_a_scan_report_names_no_patient_and_withholds_the_verdict(tmp_path):
    image, _ = radiograph(1)                      # flatter than the training films
    from medcore.imaging import load_scan

    scan = load_scan(identified_dicom(tmp_path / "identified.dcm", image))
    report = build_report("pneumonia_cnn", scan, explain=False)
    assert not report.assessable
    document = to_html(report)
    assert "Not assessable by this model" in _html_text(document)
    assert "4 present, none shown here" in document
    for identifier in IDENTIFIER_TEXTS:
        assert identifier not in document
        assert identifier not in report.text()
    assert not URL.search(document)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medcore", "report", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


def test_cli_refuses_a_bad_scan_with_the_upload_pages_message_and_writes_nothing(tmp_path):
    from medcore.errors import MedcoreError
    from medcore.imaging import load_scan

    bad = tmp_path / "not_a_scan.dcm"
    bad.write_bytes(b"this is not an image")
    with pytest.raises(MedcoreError) as raised:
        load_scan(bad)
    out = tmp_path / "out" / "report.pdf"
    out.parent.mkdir()
    done = _cli("pneumonia_cnn", "--scan", str(bad), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2
    assert str(raised.value) in done.stderr
    assert list(out.parent.iterdir()) == []


def test_cli_refuses_a_row_outside_the_file_and_an_unknown_format(tmp_path):
    records = tmp_path / "wdbc.csv"
    _wdbc_patient().to_csv(records, index=False)
    done = _cli("breast_cancer_fnn", "--records", str(records), "--row", "5", "--out",
                str(tmp_path / "r.html"), cwd=tmp_path)
    assert done.returncode == 2
    assert "--row 5; expected a record number from 1 to 1" in done.stderr
    done = _cli("breast_cancer_fnn", "--records", str(records), "--row", "1", "--out",
                str(tmp_path / "r.docx"), cwd=tmp_path)
    assert done.returncode == 2
    assert "expected a file name ending in .pdf or .html" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wdbc.csv"]


def test_cli_writes_an_html_report_of_a_records_row(tmp_path):
    records = tmp_path / "wdbc.csv"
    _wdbc_patient().to_csv(records, index=False)
    out = tmp_path / "report.html"
    done = _cli("breast_cancer_fnn", "--records", str(records), "--row", "1", "--out",
                str(out), "--no-explanation", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    served = registry.serving_model("breast_cancer_fnn")
    assert _flat(_fnn_expected(served, _wdbc_patient())[0]) in _html_text(out.read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "wdbc.csv"]


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    import medcore.report as report_module

    report = build_report("breast_cancer_fnn", _wdbc_patient(), explain=False)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report_module.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_report(report, tmp_path / "report.html")
    assert list(tmp_path.iterdir()) == []


def test_without_chromium_the_pdf_says_what_to_install_and_the_html_still_works(monkeypatch):
    import medcore.report.images as images
    from medcore.report import ChromiumNotFoundError, pdf_unavailable_reason, to_pdf

    monkeypatch.setattr(images, "chromium_path", lambda: None)
    assert "apt-get install chromium" in pdf_unavailable_reason()
    report = build_report("breast_cancer_deepsurv", _gbsg_patient(), explain=False)
    with pytest.raises(ChromiumNotFoundError, match="BROWSER_PATH"):
        to_pdf(report)
    assert "Recurrence-free at 5 years" in to_html(report)


def test_a_stale_browser_path_is_no_chromium(monkeypatch, tmp_path):
    from medcore.report.images import chromium_path

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    assert chromium_path() is None


def test_pdf_prints_upload_text_as_written_and_links_nothing():
    """A report without figures needs no Chromium: the layout alone (fpdf2)."""
    import dataclasses

    from medcore.report import Section, to_pdf

    report = build_report("breast_cancer_fnn", _wdbc_patient(), explain=False)
    quoted = "column ![x](http://host/p.png) --only __init__ ~~a~~"
    report = dataclasses.replace(report, sections=report.sections + (
        Section("Quoted", paragraphs=("**Bold** then " + quoted,), warnings=(quoted,)),))
    pdf = to_pdf(report)
    text = _pdf_text(pdf)
    assert "Bold then column ![x] (http://host/p.png) --only __init__ ~~a~~" in text
    assert b"/URI" not in pdf
    assert _flat(RESEARCH_USE_DISCLAIMER) in text


# --- PDF: kaleido draws the figures in Chromium; the explanation loads TensorFlow -------------
needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None
                                    and not __import__("os").environ.get("BROWSER_PATH"),
                                    reason="kaleido needs a Chromium (apt-get install chromium)")


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("name, patient, expected", RECORDS_CASES,
                         ids=[c[0] for c in RECORDS_CASES])
def test_pdf_report_of_each_records_model(name, patient, expected):
    served = registry.serving_model(name)
    source = patient()
    report = build_report(name, source, served=served)
    from medcore.report import to_pdf

    pdf = to_pdf(report)
    text = _pdf_text(pdf)
    assert _flat(RESEARCH_USE_DISCLAIMER) in text
    assert served.card.sha256[:12] in text
    for figure in expected(served, source):
        assert _flat(figure) in text
    assert "Why the model said so" in text
    assert "PBC-ID-4711" not in text
    assert len(pdf) <= MAX_BYTES


@pytest.mark.slow
@needs_chromium
def test_pdf_and_html_of_an_identified_scan(tmp_path):
    from medcore.imaging import load_scan
    from medcore.models import pneumonia_cnn
    from medcore.models import pneumonia_cnn_words as words

    image, _ = radiograph(6)
    path = identified_dicom(tmp_path / "identified.dcm", image)
    out = tmp_path / "report.pdf"
    done = _cli("pneumonia_cnn", "--scan", str(path), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    served = registry.serving_model("pneumonia_cnn")
    prediction = pneumonia_cnn.predict(served, load_scan(path))
    probability = float(prediction.probability[0])
    text = _pdf_text(out.read_bytes())
    assert _flat(RESEARCH_USE_DISCLAIMER) in text
    assert f"P(pneumonia) {words.percent(probability)}" in text
    assert _flat(words.ensemble_sentence(probability, prediction.member_probabilities[0])) in text
    assert served.card.sha256[:12] in text
    assert "Why the model said so" in text
    html = to_html(build_report("pneumonia_cnn", load_scan(path), served=served, explain=False))
    for identifier in IDENTIFIER_TEXTS:
        assert identifier not in text
        assert identifier not in html
    assert out.stat().st_size <= MAX_BYTES
